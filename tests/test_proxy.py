"""Every request through the proxy the environment names, the models listing included."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
from aiohttp import web
from conftest import sim_config

from advisor.cli import main
from advisor.simulator import running


@contextmanager
def forward_proxy() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP forward proxy on 127.0.0.1: it relays each absolute-form request and notes it."""
    seen: list[str] = []
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    hop = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "host"}

    async def relay(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.url}")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                request.method, request.url, headers=headers, data=await request.read()
            ) as answer,
        ):
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in hop}
            kept.pop("Content-Length", None)
            return web.Response(status=answer.status, body=body, headers=kept)

    async def start() -> tuple[web.AppRunner, str]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", relay)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    runner, url = asyncio.run_coroutine_threadsafe(start(), loop).result()
    try:
        yield url, seen
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_every_request_goes_through_the_proxy(study_dir, monkeypatch):
    with forward_proxy() as (proxy, seen), running(sim_config(study_dir)) as server:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
        assert server.stats.requests == len(seen) == 121  # 120 answers and the models listing
        assert f"GET {server.base_url}/models" in seen


def test_no_proxy_exempts_a_host(study_dir, monkeypatch):
    with forward_proxy() as (proxy, seen), running(sim_config(study_dir)) as server:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert main(["evaluate", "study.toml", "--base-url", server.base_url]) == 0
        assert seen == [] and server.stats.requests == 121


def test_a_failed_models_listing_is_shown_in_the_run_summary(study_dir, capsys):
    from endpoint import error, ok, serving

    refused = error(403, "listing models is not allowed for this key")
    with serving(lambda tag: ok(), models=refused) as endpoint:
        assert main(["evaluate", "study.toml", "--base-url", endpoint.base_url]) == 0
    out = capsys.readouterr().out
    assert f"Models listing failed at {endpoint.base_url}/models: HTTP 403" in out


def test_a_custom_ca_bundle_in_ssl_cert_file_is_trusted(study_dir, monkeypatch, capsys):
    import ssl
    import subprocess

    from endpoint import ok, serving

    cert, key = study_dir / "ca.pem", study_dir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    with serving(lambda tag: ok(), tls=tls) as endpoint:
        argv = ["evaluate", "study.toml", "--base-url", endpoint.base_url, "--out", "run"]
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        assert main(argv) == 2  # an unknown CA: the endpoint cannot be reached
        assert "cannot reach the endpoint" in capsys.readouterr().err
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert main(argv) == 0
        assert len(endpoint.tags) == 120

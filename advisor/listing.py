"""What the endpoints list: the models' shutdown dates (GET /models), beside a run's requests.

The cost model's horizon ends where a base model is shut down; the catalog knows some dates, and
an endpoint that lists `shutdown_date` knows its own.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any


def shutdown_date(value: Any) -> date | None:
    """`shutdown_date` as an ISO date or a Unix timestamp; anything else is ignored."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


async def listed_models(clients: dict[str, Any], failed: list[str]) -> dict[str, date]:
    """Shutdown dates the endpoints list (GET /models), where they give one.

    Not every OpenAI-compatible provider lists models or dates: a failure leaves the catalog's,
    and is noted in `failed` for the run summary.
    """
    await asyncio.sleep(0)  # the candidates' first requests leave first
    from advisor.client import TAG_HEADER
    from advisor.fixtures import MODELS_TAG
    from advisor.reply import WireError

    found: dict[str, date] = {}
    for client in clients.values():
        where = f"{client.base_url}/models"
        try:
            response = await client.get_json("/models", {TAG_HEADER: MODELS_TAG})
            if response.status != 200:
                failed.append(f"{where}: HTTP {response.status}")
                continue
            listing = json.loads(response.content).get("data")
            if not isinstance(listing, list):
                raise ValueError("no list of models in the answer")
        except WireError as exc:
            failed.append(f"{where}: {exc.kind} {exc}".strip())
            continue
        except (ValueError, AttributeError) as exc:
            failed.append(f"{where}: not a models listing ({exc})")
            continue
        for model in listing:
            if isinstance(model, dict) and (when := shutdown_date(model.get("shutdown_date"))):
                found[str(model.get("id"))] = when
    return found


async def nothing_listed() -> dict[str, date]:
    """What a run that lists nothing (a replay without a recorded listing) finds."""
    return {}

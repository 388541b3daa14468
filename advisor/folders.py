"""Where a study's default folders are: the same from any working directory.

Paths inside a study are relative to the study file; the default folders (`fixtures/<name>`,
`reports/<name>`, the `.advisor-cache`) are relative to the study's project folder: the folder
above the study's when the study sits in a folder named `studies` (the layout `advisor` ships:
`studies/`, `fixtures/`, `reports/` side by side), otherwise the study's own folder.
"""

from __future__ import annotations

import os
from pathlib import Path

STUDIES = "studies"


def project_folder(study_path: Path) -> Path:
    """The folder default outputs go under, relative to the working directory when it can be."""
    folder = study_path.parent
    if folder.resolve().name != STUDIES:
        return folder
    if folder.name == STUDIES:
        return folder.parent
    return Path(os.path.relpath(folder.resolve().parent))  # the study is in the cwd


def fixtures_folder(study_path: Path, name: str, given: Path | None = None) -> Path:
    return given or project_folder(study_path) / "fixtures" / name


def reports_folder(study_path: Path, name: str) -> Path:
    return project_folder(study_path) / "reports" / name


def datasets_cache(study_path: Path) -> Path:
    """Where `datasets` keeps what it converts (CSV, Parquet, Hub datasets)."""
    return project_folder(study_path) / ".advisor-cache" / "datasets"

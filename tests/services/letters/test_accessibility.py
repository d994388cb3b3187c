"""The HTML letter and provisional findings pass the accessibility check in headless
Chromium, where one is installed (axe-core too when AXE_CORE_JS names its file)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "a11y-check"
BROWSER = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)


@pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed")
def test_html_documents_have_no_serious_accessibility_violation() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 accessibility violation(s)" in result.stdout

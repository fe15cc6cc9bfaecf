"""The suite in three tiers, `unit/`, `storage/` and `flow/` (ARCHITECTURE.md, Tests)."""

from pathlib import Path

# The checkout the tests run from: its README, example settings and manifests, and the
# PYTHONPATH a spawned `smsdesk` needs so it imports this code, not another installed copy.
REPO_ROOT = Path(__file__).resolve().parents[1]

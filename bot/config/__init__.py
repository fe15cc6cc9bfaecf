"""Configuration: secrets and endpoints from the environment (env.py), desk settings from one
TOML file (settings.py, read section by section in sections.py under the rules of schema.py;
[workspaces.T…] tables in workspaces.py).

The package's API is what the rest of the desk needs: `Settings`, `Env` and `ConfigError`,
re-exported here on purpose. Anything else is imported from its module.
"""

from bot.config.env import Env
from bot.config.schema import ConfigError
from bot.config.settings import Settings

__all__ = ["ConfigError", "Env", "Settings"]

"""The fake Slack Web API, one module per surface (see `fake` for the map).

`fake` puts FakeSlack together from `messages`, `views`, `directory`, `files` and `faults`;
`rules` is what Slack refuses in a message or view; `oauth` is "Add to Slack" and token rotation.
"""

from tests.fakes.slack.fake import Call, FakeSlack
from tests.fakes.slack.files import UPLOAD

__all__ = ["UPLOAD", "Call", "FakeSlack"]

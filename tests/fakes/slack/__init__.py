"""The fake Slack Web API, one module per surface (see `fake` for the map).

`fake` puts FakeSlack together from `messages`, `views`, `directory`, `files`, `faults` and
`responses` (the response_urls of clicks);
`rules` is what Slack refuses in a message or view; `oauth` is "Add to Slack" and token rotation.
"""

from tests.fakes.slack.fake import Call, FakeSlack
from tests.fakes.slack.files import UPLOAD
from tests.fakes.slack.responses import RESPONSE_URL

__all__ = ["RESPONSE_URL", "UPLOAD", "Call", "FakeSlack"]

"""The fake Slack: the Web API (`fake`), what it refuses (`rules`), its OAuth side (`oauth`)."""

from tests.fakes.slack.fake import UPLOAD, Call, FakeSlack

__all__ = ["UPLOAD", "Call", "FakeSlack"]

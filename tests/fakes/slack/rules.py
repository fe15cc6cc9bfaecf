"""What Slack refuses in a message or view: Block Kit limits and required fields.

The fake Slack applies these before storing anything, so a card that grows past a limit (a long
SMS in a section, one block too many in a transcript) fails in tests with Slack's own error code
instead of in front of an agent. The numbers are Slack's documented limits.
"""

from typing import Any

MAX_TEXT_CHARS = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BLOCK_ID = 255
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_BUTTON_TEXT = 75
MAX_INPUT_LENGTH = 3000  # a plain_text_input's max_length: 1 to 3000, min_length 0 to 3000
# A select's options (and option groups, each with its options), an overflow menu's options;
# an option's text and an option group's label; an option's value.
MAX_SELECT_OPTIONS = 100
MAX_OVERFLOW_OPTIONS = 5
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_IMAGE_ALT_TEXT = 2000  # an image block's alt_text
MAX_IMAGE_URL = 3000


class Refusal(Exception):
    """Slack's HTTP 200 `{"ok": false, "error": ...}`; `extra` joins the answer's other keys."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def check_message_content(params: dict[str, Any]) -> None:
    text = params.get("text")
    blocks = params.get("blocks")
    if blocks is not None and blocks != "":
        check_blocks(blocks, MAX_MESSAGE_BLOCKS)
    if params.get("attachments"):
        check_attachments(params["attachments"])
    if not text and not blocks and not params.get("attachments"):
        raise Refusal("no_text")
    if text and len(str(text)) > MAX_TEXT_CHARS:
        raise Refusal("msg_too_long")


def check_blocks(blocks: Any, limit: int) -> None:
    if not isinstance(blocks, list):
        raise Refusal("invalid_blocks_format")
    _refuse_if("invalid_blocks", _blocks_problems(blocks, limit, "/blocks"))


def _blocks_problems(blocks: list, limit: int, pointer: str) -> list[str]:
    problems = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    for index, block in enumerate(blocks):
        problems.extend(_block_problems(f"{pointer}/{index}", block))
    return problems


def _refuse_if(error: str, problems: list[str]) -> None:
    """Slack's answer to a request with these problems: the error, each problem listed."""
    if problems:
        raise Refusal(error, errors=problems,
                      response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


def check_attachments(attachments: Any) -> None:
    """Secondary attachments: a list of objects; the blocks one carries are held to the
    rules of a message's blocks. Slack does not refuse a colour it cannot read (it draws
    the default grey), so neither does the fake."""
    if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
        raise Refusal("invalid_attachments")
    problems = []
    for index, attachment in enumerate(attachments):
        blocks = attachment.get("blocks")
        if blocks is None:
            continue
        if not isinstance(blocks, list):
            problems.append(f"must be an array [json-pointer:/attachments/{index}/blocks]")
            continue
        problems.extend(_blocks_problems(blocks, MAX_MESSAGE_BLOCKS,
                                         f"/attachments/{index}/blocks"))
    _refuse_if("invalid_attachments", problems)


def _block_problems(pointer: str, block: Any) -> list[str]:
    if not isinstance(block, dict) or not block.get("type"):
        return [f"missing required field: type [json-pointer:{pointer}]"]
    problems = []
    if len(str(block.get("block_id", ""))) > MAX_BLOCK_ID:
        problems.append(_too_long(MAX_BLOCK_ID, f"{pointer}/block_id"))
    kind = block["type"]
    for where, element in _elements(pointer, block):
        problems.extend(_element_problems(where, element))
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"must provide text or fields [json-pointer:{pointer}]")
        if "text" in block:
            problems.extend(_text_problems(f"{pointer}/text", block["text"], MAX_SECTION_TEXT))
        fields = block.get("fields", [])
        if len(fields) > MAX_SECTION_FIELDS:
            problems.append(
                f"no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{pointer}/fields]"
            )
        for index, text in enumerate(fields):
            problems.extend(_text_problems(f"{pointer}/fields/{index}", text, MAX_FIELD_TEXT))
    elif kind == "header":
        problems.extend(_text_problems(f"{pointer}/text", block.get("text"), MAX_HEADER_TEXT))
    elif kind == "image":
        problems.extend(_image_problems(pointer, block))
    elif kind in ("actions", "context"):
        limit = MAX_ACTIONS_ELEMENTS if kind == "actions" else MAX_CONTEXT_ELEMENTS
        if len(block.get("elements", [])) > limit:
            problems.append(f"no more than {limit} items allowed [json-pointer:{pointer}/elements]")
    return problems


def _image_problems(pointer: str, block: dict) -> list[str]:
    """An image block: alt text (plain, up to 2000), and either a public `image_url` or a
    `slack_file` naming one file by `id` or `url`, never both (Slack's image block and Slack
    file object). Whether the file exists and is an image is the files' check
    (files.py, `slack_file_problems`)."""
    problems = []
    alt = block.get("alt_text")
    if not isinstance(alt, str) or not alt:
        problems.append(f"missing required field: alt_text [json-pointer:{pointer}]")
    elif len(alt) > MAX_IMAGE_ALT_TEXT:
        problems.append(_too_long(MAX_IMAGE_ALT_TEXT, f"{pointer}/alt_text"))
    has_url, slack_file = "image_url" in block, block.get("slack_file")
    if has_url == (slack_file is not None):
        problems.append(f"must provide either image_url or slack_file [json-pointer:{pointer}]")
    elif has_url and len(str(block["image_url"])) > MAX_IMAGE_URL:
        problems.append(_too_long(MAX_IMAGE_URL, f"{pointer}/image_url"))
    elif slack_file is not None and (not isinstance(slack_file, dict)
                                     or ("id" in slack_file) == ("url" in slack_file)):
        problems.append(f"invalid slack file [json-pointer:{pointer}/slack_file]")
    if "title" in block:
        problems.extend(_text_problems(f"{pointer}/title", block["title"], MAX_IMAGE_ALT_TEXT))
    return problems


def _button_and_input_problems(pointer: str, element: dict) -> list[str]:
    """A button's label (75 characters) and a text input's length bounds (1 to 3000)."""
    kind = element.get("type")
    if kind == "button":
        return _text_problems(f"{pointer}/text", element.get("text"), MAX_BUTTON_TEXT)
    if kind == "plain_text_input":
        problems = []
        for key, least in (("max_length", 1), ("min_length", 0)):
            if key not in element:
                continue
            value = element[key]
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"must be an integer [json-pointer:{pointer}/{key}]")
            elif value < least:
                problems.append(f"must be at least {least} [json-pointer:{pointer}/{key}]")
            elif value > MAX_INPUT_LENGTH:
                problems.append(f"must be at most {MAX_INPUT_LENGTH} "
                                f"[json-pointer:{pointer}/{key}]")
        return problems
    return []


def _elements(pointer: str, block: dict[str, Any]) -> list[tuple[str, Any]]:
    """The interactive elements of a block: a section's accessory, an actions block's
    elements, an input block's element."""
    found = []
    if isinstance(block.get("accessory"), dict):
        found.append((f"{pointer}/accessory", block["accessory"]))
    if block.get("type") == "actions":
        found += [(f"{pointer}/elements/{i}", e) for i, e in enumerate(block.get("elements", []))]
    if isinstance(block.get("element"), dict):
        found.append((f"{pointer}/element", block["element"]))
    return found


def _element_problems(pointer: str, element: Any) -> list[str]:
    if not isinstance(element, dict):
        return []
    return _button_and_input_problems(pointer, element) + _option_problems(pointer, element)


def _option_problems(pointer: str, element: dict) -> list[str]:
    """Options of static selects and overflow menus: how many, and each one's size."""
    problems = []
    limit = MAX_OVERFLOW_OPTIONS if element.get("type") == "overflow" else MAX_SELECT_OPTIONS
    options = [(f"{pointer}/options/{i}", o) for i, o in enumerate(element.get("options") or [])]
    if len(options) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{pointer}/options]")
    groups = element.get("option_groups") or []
    if len(groups) > MAX_SELECT_OPTIONS:
        problems.append(f"no more than {MAX_SELECT_OPTIONS} items allowed "
                        f"[json-pointer:{pointer}/option_groups]")
    for index, group in enumerate(groups):
        where = f"{pointer}/option_groups/{index}"
        problems.extend(_text_problems(f"{where}/label", group.get("label"), MAX_OPTION_TEXT))
        listed = group.get("options") or []
        if not listed or len(listed) > MAX_SELECT_OPTIONS:
            problems.append(f"must hold 1 to {MAX_SELECT_OPTIONS} items "
                            f"[json-pointer:{where}/options]")
        options += [(f"{where}/options/{i}", o) for i, o in enumerate(listed)]
    for where, option in options:
        problems.extend(_text_problems(f"{where}/text", option.get("text"), MAX_OPTION_TEXT))
        if len(str(option.get("value", ""))) > MAX_OPTION_VALUE:
            problems.append(_too_long(MAX_OPTION_VALUE, f"{where}/value"))
    return problems


def _text_problems(pointer: str, text: Any, limit: int) -> list[str]:
    if not isinstance(text, dict) or not isinstance(text.get("text"), str):
        return [f"must be a text object [json-pointer:{pointer}]"]
    if not text["text"]:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text["text"]) > limit:
        return [_too_long(limit, f"{pointer}/text")]
    return []


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def check_modal(view: dict[str, Any]) -> None:
    problems = []
    for key in ("title", "submit", "close"):
        if key not in view:
            continue
        text = view[key]
        if not isinstance(text, dict) or not text.get("text"):
            problems.append(f"must be a plain_text object [json-pointer:/view/{key}]")
        elif len(text["text"]) > MAX_VIEW_TITLE:
            problems.append(_too_long(MAX_VIEW_TITLE, f"/view/{key}/text"))
    if "title" not in view:
        problems.append("missing required field: title [json-pointer:/view]")
    blocks = view.get("blocks", [])
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if has_input and "submit" not in view:
        problems.append("submit is required when an input block is used [json-pointer:/view]")
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        problems.append(_too_long(MAX_PRIVATE_METADATA, "/view/private_metadata"))
    if problems:
        raise Refusal(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
        )

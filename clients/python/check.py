"""Imports what a Python program needs from the client generated from Switchboard's OpenAPI
description (scripts/check-clients.sh): if the description loses a schema, the generator
drops it and these imports fail."""

from switchboard_client import AuthenticatedClient
from switchboard_client.api.agents import completions, message, models, rated_turns
from switchboard_client.api.knowledge import add_url, upload
from switchboard_client.models import (
    ChatCompletion,
    ChatRequest,
    FileUpload,
    MessageRequest,
    RatedTurnView,
    SourceView,
    Turn,
)
from switchboard_client.types import File

client = AuthenticatedClient(base_url="http://127.0.0.1:8080", token="sb_example")
request = MessageRequest(message="How much is delivery?")
form = FileUpload(file=File(payload=b"Delivery is free.", file_name="faq.txt"))
for endpoint in (completions, message, models, rated_turns, add_url, upload):
    assert callable(endpoint.sync), endpoint
for model in (ChatCompletion, ChatRequest, RatedTurnView, SourceView, Turn):
    assert hasattr(model, "from_dict"), model
print("python client: ok")

"""The staff support API's request bodies (pydantic), validated before they reach the services.
The class names are the schema names of the OpenAPI document: keep them."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from anshin.domain.commands import Action
from anshin.domain.support import EXCLUDED_CATEGORIES, SUPPORTED_CATEGORIES, Channel

Category = Literal[tuple(sorted(SUPPORTED_CATEGORIES | EXCLUDED_CATEGORIES))]  # type: ignore[valid-type]


class VerificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action
    verificationId: Annotated[str, StringConstraints(pattern=r"^ver-[a-f0-9]{32}$")] | None = None
    confirm: Annotated[str, StringConstraints(max_length=16)] | None = None


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contractId: Annotated[str, StringConstraints(pattern=r"^ctr-[a-f0-9]{1,64}$")]
    channel: Channel
    category: Category  # type: ignore[valid-type]


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["RESOLVED", "UNRESOLVED", "ESCALATED"]

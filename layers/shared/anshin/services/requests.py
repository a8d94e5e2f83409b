"""The staff support API's request bodies (pydantic), validated before they reach the services.
The class names are the schema names of the OpenAPI document: keep them."""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from anshin.domain.commands import Action
from anshin.domain.paging import DEFAULT_LIMIT, MAX_LIMIT
from anshin.domain.phones import normalise_phone
from anshin.domain.support import EXCLUDED_CATEGORIES, SUPPORTED_CATEGORIES, Channel

Category = Literal[tuple(sorted(SUPPORTED_CATEGORIES | EXCLUDED_CATEGORIES))]  # type: ignore[valid-type]


#: Why staff act (stored in the audit): words, not just spaces.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class VerificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CommandRequest(BaseModel):
    """``confirm``: for a WIPE, the device's id typed back; ``reason``: why (required for a WIPE,
    optional otherwise), stored on the command and in its audit entry."""

    model_config = ConfigDict(extra="forbid")
    action: Action
    verificationId: Annotated[str, StringConstraints(pattern=r"^ver-[a-f0-9]{32}$")] | None = None
    confirm: Annotated[str, StringConstraints(max_length=128)] | None = None
    reason: Reason | None = None


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class CodeReissue(BaseModel):
    """Why staff reissue a contract's member code (a suspected leak, a revoked device, issue 24)."""

    model_config = ConfigDict(extra="forbid")
    reason: Reason


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contractId: Annotated[str, StringConstraints(pattern=r"^ctr-[a-f0-9]{1,64}$")]
    channel: Channel
    category: Category  # type: ignore[valid-type]


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["RESOLVED", "UNRESOLVED", "ESCALATED"]


class ContractSearch(BaseModel):
    """Find contracts by exactly one of ``contractId``, ``mobileContractId``, ``phone`` (the
    holder's number, any usual writing: normalised to E.164, anshin.domain.phones) or
    ``deviceId`` (every contract that protected the device, the live one first: which contract
    holds a device id, issue 24); a POST so the number never sits in a URL. ``cursor``/``limit``:
    the page."""

    model_config = ConfigDict(extra="forbid")
    contractId: Annotated[str, StringConstraints(pattern=r"^ctr-[a-f0-9]{1,64}$")] | None = None
    mobileContractId: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")] | None = None
    phone: (
        Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(normalise_phone)] | None
    ) = None
    deviceId: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] | None = None
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT

    @model_validator(mode="after")
    def _exactly_one(self) -> "ContractSearch":
        names = ("contractId", "mobileContractId", "phone", "deviceId")
        given = [name for name in names if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of contractId, mobileContractId, phone, deviceId")
        return self

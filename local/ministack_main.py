"""Start ministack with the fixes the local stack needs to behave like AWS (docs/emulator-notes.md).

Run by the emulator's own interpreter (.venv-local), as a script: it imports nothing of ours.

1. A Python handler's exception reaches Step Functions as ``Runtime.HandlerError`` whatever its
   class; AWS Lambda reports the class name as ``errorType`` (e.g. ``EarlierApplicationsPending``),
   and a workflow's ``Retry``/``Catch`` on that name depends on it. The worker now reports the
   class name, and the invoke path passes it on.
2. CloudFormation's ``AWS::Scheduler::Schedule`` drops ``ScheduleExpressionTimezone`` (and
   ``StartDate``/``EndDate``): a schedule written for Asia/Tokyo would run in UTC. The
   provisioner now carries them over.
3. Publishing to a mobile-push platform endpoint (``TargetArn``) is a stub that keeps nothing, so
   no device could ever receive a push. It is now kept with its endpoint, and served at
   ``GET /_ministack/sns/platform-endpoint-messages?endpointArn=…`` (LocalStack has the same
   at ``/_aws/sns/platform-endpoint-messages``): the push channel the device simulator reads.
"""

from __future__ import annotations

import importlib.util
import sys

WORKER_OLD = '{"status": "error", "error": str(e), "trace": traceback.format_exc()}'
WORKER_NEW = (
    '{"status": "error", "error": str(e), "errorType": type(e).__name__, "trace": traceback.format_exc()}'
)
INVOKE_OLD = """            error_type = "Runtime.HandlerError"
            if _RIE_TIMEOUT_TEXT_RE.fullmatch(error_msg):"""
INVOKE_NEW = """            error_type = result.get("errorType") or "Runtime.HandlerError"
            if _RIE_TIMEOUT_TEXT_RE.fullmatch(error_msg):"""


PUSH_OLD = """            logger.info("SNS platform-endpoint publish stub to %s", topic_arn)"""
PUSH_NEW = """            _platform_endpoints[topic_arn].setdefault("messages", []).append({
                "MessageId": msg_id, "Message": message, "MessageStructure": message_structure or None,
                "Timestamp": time.time(),
            })"""
PUSH_PATH = "/_ministack/sns/platform-endpoint-messages"


def _patch_source(module_name: str, old: str, new: str) -> None:
    """Load ``module_name`` from its source with ``old`` replaced by ``new`` (exactly once)."""
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin is not None and spec.loader is not None
    with open(spec.origin, encoding="utf-8") as source_file:
        source = source_file.read()
    if source.count(old) != 1:
        raise SystemExit(
            f"ministack changed: cannot apply the local fix to {module_name}; see docs/emulator-notes.md"
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    exec(compile(source.replace(old, new), spec.origin, "exec"), module.__dict__)  # noqa: S102


SCHEDULE_PROPERTIES = ("ScheduleExpressionTimezone", "StartDate", "EndDate")


def _patch_schedule_provisioner() -> None:
    import ministack.services.scheduler as scheduler
    from ministack.services.cloudformation import provisioners

    handlers = provisioners._RESOURCE_HANDLERS["AWS::Scheduler::Schedule"]
    create, update = handlers["create"], handlers["update"]

    def carry_over(physical_id: str, props: dict[str, object]) -> None:
        record = scheduler._schedules.get(f"{props.get('GroupName', 'default')}/{physical_id}")
        if record is not None:
            for name in SCHEDULE_PROPERTIES:
                if name in props:
                    record[name] = props[name]

    def created(logical_id: str, props: dict[str, object], stack_name: str) -> object:
        physical_id, attributes = create(logical_id, props, stack_name)
        carry_over(physical_id, props)
        return physical_id, attributes

    def updated(physical_id: str, old: dict[str, object], new: dict[str, object], stack_name: str) -> object:
        new_id, attributes = update(physical_id, old, new, stack_name)
        carry_over(new_id, new)
        return new_id, attributes

    provisioners._scheduler_schedule_create = created
    handlers["create"], handlers["update"] = created, updated


def _serve_platform_endpoint_messages() -> None:
    """Add the read side of fix 3 to ministack's HTTP routes (next to its SMS log route)."""
    import json

    import ministack.app as app
    import ministack.services.sns as sns

    serve_sms = app._handle_sns_sms_messages_request

    async def serve(
        method: str, path: str, headers: dict[str, str], query_params: dict[str, object]
    ) -> object:
        if path != PUSH_PATH or method != "GET":
            return await serve_sms(method, path, headers, query_params)
        wanted = query_params.get("endpointArn")
        if isinstance(wanted, list | tuple):
            wanted = wanted[0]
        endpoints = [
            {
                "EndpointArn": record["arn"],
                "Token": record.get("attributes", {}).get("Token"),
                "Messages": record.get("messages", []),
            }
            for record in sns._platform_endpoints.to_dict().values()
            if wanted in (None, record["arn"])
        ]
        return 200, {"Content-Type": "application/json"}, json.dumps({"endpoints": endpoints}).encode()

    app._handle_sns_sms_messages_request = serve


def main() -> None:
    import ministack.core.lambda_runtime as runtime

    if runtime._PYTHON_WORKER_SCRIPT.count(WORKER_OLD) != 1:
        raise SystemExit("ministack changed: cannot apply the worker fix; see docs/emulator-notes.md")
    runtime._PYTHON_WORKER_SCRIPT = runtime._PYTHON_WORKER_SCRIPT.replace(WORKER_OLD, WORKER_NEW)
    _patch_source("ministack.services.lambda_svc", INVOKE_OLD, INVOKE_NEW)
    _patch_source("ministack.services.sns", PUSH_OLD, PUSH_NEW)
    _patch_schedule_provisioner()
    _serve_platform_endpoint_messages()

    from ministack.app import main as ministack_main

    sys.argv = ["ministack"]
    ministack_main()


if __name__ == "__main__":
    main()

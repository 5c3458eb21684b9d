"""The OpenAPI 3.1 document for the HTTP API, kept as data next to the routes it describes."""

from __future__ import annotations

from typing import Any

from qa import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(status: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {status: {"description": description, **(_json(schema) if schema else {})}}


_ERROR_TEXT = {
    "400": "Malformed or invalid input", "401": "No or bad token",
    "403": "Not allowed for this token, or a write from another site's page (`cross_origin`)",
    "415": "A body that is not declared application/json",
    "404": "Unknown event or item", "409": "Conflicting state", "413": "Body too large",
    "429": "Too many requests (see Retry-After)", "503": "Storage unreachable; nothing was written (see Retry-After)",
}


def _errors(*codes: str) -> dict[str, Any]:
    return {c: {"description": _ERROR_TEXT[c], **_json(_ref("Error"))} for c in codes}


def _op(summary: str, responses: dict[str, Any], *, body: dict[str, Any] | None = None, auth: bool = False,
        params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if auth:
        op["security"] = [{"bearer": []}]
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str, integer: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = ({"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999} if integer
                              else {"type": "string", "maxLength": 64})
    return {"name": name, "in": "path", "required": True, "schema": schema}


_NULLABLE_STR = {"type": ["string", "null"]}
_SPEAKER_GROUPS = ("member_state", "observer_state", "un_entity", "igo", "civil_society", "academia",
                   "private_sector", "other")
_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31}
_TIMEZONE = {"type": "string", "minLength": 1, "maxLength": 64, "description": "an IANA zone, e.g. Europe/Geneva"}
_ENDS_AT = {"type": ["string", "null"], "format": "date-time", "maxLength": 40,
            "description": "ISO 8601; without an offset, in the event's time zone"}

_LANGUAGES = ["en", "fr", "es", "ru", "zh", "ar"]

# The overlay's and public screens' settings: read in an Event, written by a PATCH.
_SCREEN_SETTINGS: dict[str, Any] = {
    "overlay_position": {"enum": ["bottom", "top"], "description": "Stream lower third position (the overlay "
                         "address's ?position= overrides it)"},
    "overlay_theme": {"enum": ["dark", "light"], "description": "Stream overlay theme (?theme= overrides it)"},
    "overlay_chroma": {"type": ["string", "null"], "description": "Overlay key colour #rrggbb instead of "
                       "transparency; a PATCH also takes green, blue, magenta, black or white (?chroma= "
                       "overrides it)"},
    "public_timer": {"type": "boolean", "description": "Whether public screens (presenter without its token, "
                     "overlay) show the segment timer; default false"},
}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "Segment": {"type": "object", "required": ["id", "title"], "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "starts_at": _NULLABLE_STR,
        "speakers": _NULLABLE_STR}},
    "Event": {"type": "object", "required": ["code", "title", "moderation", "questions_open"], "properties": {
        "code": {"type": "string"}, "title": {"type": "string"}, "moderation": {"enum": ["pre", "post"]},
        "questions_open": {"type": "boolean"}, "highlighted": _NULLABLE_INT, "presenting_poll": _NULLABLE_INT,
        "active_segment": _NULLABLE_INT, "segments": {"type": "array", "items": _ref("Segment")},
        "language": {"type": "string"}, "timezone": {"type": "string"}, "policy_text": {"type": "string"},
        "overlay_hidden": {"type": "boolean"}, "timer": {"type": ["object", "null"]},
        "created_at": {"type": "string"}, "epoch": {"type": "string"},
        "ends_at": {**_NULLABLE_STR, "description": "When the event ends; retention counts from here"},
        "retention_days": {"type": "integer", "description": "Days after the end before everything is erased"},
        "up_next": {"type": "array", "items": {"type": "integer"}, "maxItems": 10,
                    "description": "Approved questions lined up by the moderator, in order"},
        "screen_translation": {"enum": [*_LANGUAGES, None], "description": "The translation shown beside the "
                               "original on the presenter view and overlay (null: the original only)"},
        "speakers_open": {"type": "boolean"}, "speaking_time": {"type": "integer"},
        "speakers_order": {"enum": ["first_come", "by_group"]}, "speaker_overlay_hidden": {"type": "boolean"},
        "banned": {"type": "array", "items": {"type": "string"}, "description": "Moderators only: banned tags"},
        "integrity": {"enum": ["open", "proof"], "description": "proof: each new participant's device solves a "
                      "proof-of-work challenge before it may write"},
        "passcode_required": {"type": "boolean", "description": "attendees enter the event's passcode once "
                              "(POST .../passcode); the passcode itself is never sent"},
        **_SCREEN_SETTINGS}},
    "OrganiserEvent": {"allOf": [_ref("Event"), {"type": "object", "required": ["moderator_token", "links"],
                                                 "properties": {
        "moderator_token": {"type": "string"}, "presenter_token": {"type": "string"},
        "links": {"type": "object", "required": ["attendee", "moderator", "presenter"], "properties": {
            "attendee": {"type": "string"}, "moderator": {"type": "string"}, "presenter": {"type": "string"}}}}}]},
    "Question": {"type": "object", "required": ["id", "text", "name", "affiliation", "status", "votes",
                                                "highlighted", "segment", "created_at", "mine", "voted"],
                 "properties": {
        "id": {"type": "integer"}, "text": {"type": "string"}, "name": _NULLABLE_STR,
        "affiliation": _NULLABLE_STR,
        "status": {"enum": ["pending", "approved", "answered", "rejected", "archived", "merged"]},
        "votes": {"type": "integer", "minimum": 0}, "highlighted": {"type": "boolean"},
        "segment": _NULLABLE_INT, "created_at": {"type": "string"}, "mine": {"type": "boolean"},
        "voted": {"type": "boolean"}, "language": _NULLABLE_STR, "answered_at": _NULLABLE_STR,
        "merged_into": _NULLABLE_INT,
        "translations": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "Reviewed translations: language -> text (empty object when none)"},
        "similar_to": {**_NULLABLE_INT, "description": "Moderators only: an earlier question this one resembles"},
        "original_text": _NULLABLE_STR, "flagged": {"type": "boolean"},
        "held": {"type": "boolean", "description": "Moderators only: asked by a banned participant (status "
                                                    "rejected; its asker still sees it as pending)"},
        "participant": {"type": "string", "description": "Moderators only: a one-way tag of the asker"}}},
    "Poll": {"type": "object", "required": ["id", "title", "kind", "options", "status", "results", "voters"],
             "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"},
        "kind": {"enum": ["single", "multiple", "rating", "wordcloud"]},
        "options": {"type": "array", "items": {"type": "string"}}, "scale": _NULLABLE_INT,
        "labels": {"type": ["array", "null"], "items": {"type": "string"}}, "max_choices": _NULLABLE_INT,
        "status": {"enum": ["open", "closed"]}, "results_visibility": {"enum": ["live", "closed", "never", "answered"]},
        "opened_once": {"type": "boolean", "description": "Opened at least once (a closed poll never opened is a "
                        "draft)"},
        "segment": _NULLABLE_INT, "results": {"type": ["object", "null"]}, "voters": _NULLABLE_INT,
        "my_answer": {"type": ["object", "null"]}}},
    "Note": {"type": "object", "required": ["id", "text", "created_at", "acked_at"], "properties": {
        "id": {"type": "integer"}, "text": {"type": "string"}, "created_at": {"type": "string"},
        "acked_at": _NULLABLE_STR}},
    "Snapshot": {"type": "object", "required": ["event", "questions", "polls", "seq"], "properties": {
        "event": _ref("Event"), "questions": {"type": "array", "items": _ref("Question")},
        "polls": {"type": "array", "items": _ref("Poll")}, "seq": {"type": "integer", "minimum": 0},
        "viewer": {"type": "object"}, "notes": {"type": "array", "items": _ref("Note")},
        "stats": {"type": "object"},
        "moderation_counts": {
            "type": "object", "required": ["received", "published", "merged", "answered", "not_published"],
            "properties": {k: {"type": "integer", "minimum": 0} for k in
                           ("received", "published", "merged", "answered", "not_published")},
            "description": "Open moderation counts, the same for everyone. Totals that never go down (not when a "
                           "question is rejected later, nor when it is erased): `received` (every question asked), "
                           "`published` (ever shown to the room), `merged`, `answered` (each question once). A "
                           "figure of now: `not_published`, questions turned down (rejected, held or archived) and "
                           "never published; it falls when one is published after all or goes back to the queue"},
        "speakers": {"type": "array", "items": _ref("Speaker"), "description": "The list of speakers in list "
                     "order: who speaks, then who waits (moderators: then every other request)"}}},
    "Speaker": {"type": "object", "required": ["id", "name", "delegation", "group", "kind", "language", "status",
                                               "position", "requested_at", "started_at", "ended_at", "mine"],
                "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "delegation": {"type": "string"},
        "group": {"enum": list(_SPEAKER_GROUPS)}, "kind": {"enum": ["statement", "question", "reply"]},
        "language": {"enum": ["en", "fr", "es", "ru", "zh", "ar"]},
        "status": {"enum": ["waiting", "speaking", "done", "removed", "withdrawn"]},
        "position": {**_NULLABLE_INT, "description": "1-based among waiting requests; null otherwise"},
        "requested_at": {"type": "string"}, "started_at": _NULLABLE_STR, "ended_at": _NULLABLE_STR,
        "paused_at": _NULLABLE_STR, "mine": {"type": "boolean"},
        "limit": {"type": "integer", "description": "Seconds allowed (0 = no limit)"},
        "elapsed": {"type": "number", "description": "Seconds spoken before clock.since (pauses excluded)"},
        "duration": {**_NULLABLE_INT, "description": "Seconds spoken, once the floor was given back"},
        "clock": {"type": ["object", "null"], "description": "While speaking: {limit, elapsed, running, since}; "
                  "since is the epoch second the running stretch began (null while paused). Time left = limit - "
                  "elapsed - (now - since); at zero the screens say so, nobody is cut off"},
        "participant": {"type": "string", "description": "Moderators only: a one-way tag of the requester"}}},
    "RequestFloor": {"type": "object", "required": ["name", "delegation"], "additionalProperties": False,
                     "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 60},
        "delegation": {"type": "string", "minLength": 1, "maxLength": 80},
        "group": {"enum": list(_SPEAKER_GROUPS), "default": "other"},
        "kind": {"enum": ["statement", "question", "reply"], "default": "statement"},
        "language": {"enum": ["en", "fr", "es", "ru", "zh", "ar"],
                     "description": "The language the speaker will use; default: the event's"}}},
    "ModerateSpeaker": {"type": "object", "required": ["action"], "additionalProperties": False, "properties": {
        "action": {"enum": ["give", "done", "remove", "move", "pause", "resume", "extend"],
                   "description": "give: this one speaks, whoever spoke is done; move needs position; pause, "
                                  "resume and extend (+60 s) act on the speaker's clock"},
        "position": {"type": "integer", "minimum": 1, "description": "1-based among waiting; past the end is "
                                                                      "the end"}}},
    "Votes": {"type": "object", "required": ["votes", "voted"], "properties": {
        "votes": {"type": "integer", "minimum": 0}, "voted": {"type": "boolean"}}},
    "CreateEvent": {"type": "object", "required": ["title"], "additionalProperties": False, "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 120},
        "code": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{2,31}$"},
        "moderation": {"enum": ["pre", "post"]}, "language": {"enum": ["en", "fr", "es", "ru", "zh", "ar"]},
        "timezone": _TIMEZONE, "policy_text": {"type": "string", "maxLength": 4000},
        "retention_days": {"type": "integer", "minimum": 1, "maximum": 3650}, "ends_at": _ENDS_AT}},
    "PatchEvent": {"type": "object", "additionalProperties": False, "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 120}, "moderation": {"enum": ["pre", "post"]},
        "questions_open": {"type": "boolean"}, "language": {"enum": ["en", "fr", "es", "ru", "zh", "ar"]},
        "timezone": _TIMEZONE, "policy_text": {"type": "string", "maxLength": 4000},
        "blocked_words": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 200},
        "retention_days": {"type": "integer", "minimum": 1, "maximum": 3650},
        "presenting_poll": _NULLABLE_ID, "overlay_hidden": {"type": "boolean"}, "ends_at": _ENDS_AT,
        "timer": {"type": ["object", "null"], "description": "Segment countdown: {seconds, running?, remaining?}; "
                  "without remaining, a pause keeps what is left and a start resumes"},
        "up_next": {"type": "array", "items": {"type": "integer"}, "maxItems": 10,
                    "description": "Ids of approved questions not on screen (404 unknown, 409 not approved); "
                    "highlighting one, or it leaving the approved list, takes it off"},
        "screen_translation": {"enum": [*_LANGUAGES, None]},
        "speakers_open": {"type": "boolean", "description": "The list of speakers takes requests (default true)"},
        "speaking_time": {"type": "integer", "minimum": 0, "maximum": 3600,
                          "description": "Seconds per intervention, from the next floor given (0 = no limit)"},
        "speakers_order": {"enum": ["first_come", "by_group"], "description": "Where a new request goes; "
                           "switching to by_group also sorts who waits"},
        "speaker_overlay_hidden": {"type": "boolean", "description": "Hide the speaker lower third"},
        "integrity": {"enum": ["open", "proof"]},
        "passcode": {"type": ["string", "null"], "minLength": 3, "maxLength": 64,
                     "description": "set (stored hashed) or null to remove"},
        **_SCREEN_SETTINGS}},
    "Challenge": {"type": "object", "required": ["parameters", "signature"], "description": "An ALTCHA v2 "
                  "challenge: find the counter whose PBKDF2 key starts with keyPrefix", "properties": {
        "parameters": {"type": "object", "properties": {
            "algorithm": {"const": "PBKDF2/SHA-256"}, "nonce": {"type": "string"}, "salt": {"type": "string"},
            "cost": {"type": "integer"}, "keyLength": {"type": "integer"}, "keyPrefix": {"type": "string"},
            "keySignature": {"type": "string"}, "expiresAt": {"type": "integer"}, "data": {"type": "object"}}},
        "signature": {"type": "string"}, "integrity": {"enum": ["open", "proof"]}}},
    "Solution": {"type": "object", "required": ["solution"], "additionalProperties": False, "properties": {
        "solution": {"type": "object", "required": ["challenge", "solution"], "properties": {
            "challenge": {"type": "object", "description": "the challenge as received (parameters, signature)"},
            "solution": {"type": "object", "required": ["counter", "derivedKey"], "properties": {
                "counter": {"type": "integer"}, "derivedKey": {"type": "string"}, "time": {"type": "number"}}}}}}},
    "Passcode": {"type": "object", "required": ["passcode"], "additionalProperties": False, "properties": {
        "passcode": {"type": "string", "maxLength": 200}}},
    "Admitted": {"type": "object", "required": ["admitted"], "properties": {"admitted": {"const": True}}},
    "Health": {"type": "object", "properties": {
        "window_minutes": {"type": "integer"}, "joined_recently": {"type": "integer"},
        "refused_recently": {"type": "integer", "description": "new participants the per-address bucket refused"},
        "votes_recently": {"type": "integer"}, "integrity": {"enum": ["open", "proof"]}}},
    "Ask": {"type": "object", "required": ["text"], "additionalProperties": False, "properties": {
        "text": {"type": "string", "minLength": 2, "maxLength": 500},
        "name": {"type": ["string", "null"], "maxLength": 60},
        "affiliation": {"type": ["string", "null"], "maxLength": 80}, "anonymous": {"type": "boolean"},
        "language": {"type": "string"}, "client_id": {"type": "string", "minLength": 8, "maxLength": 64}}},
    "Moderate": {"type": "object", "required": ["action"], "additionalProperties": False, "properties": {
        "action": {"enum": ["approve", "reject", "highlight", "unhighlight", "answer", "archive", "restore",
                            "requeue", "edit", "merge", "move", "language", "ban", "unban"],
                   "description": "restore makes a rejected, archived or answered question approved; requeue puts "
                   "a rejected or archived one back in the waiting queue (pending); ban / unban act on the "
                   "question's asker (no other field allowed); language corrects the question's language (field "
                   "language)"},
        "text": {"type": "string", "minLength": 2, "maxLength": 500}, "into": {"type": "integer"},
        "segment": _NULLABLE_INT, "language": {"type": "string"}}},
    "Translate": {"type": "object", "required": ["language", "text"], "additionalProperties": False,
                  "properties": {"language": {"enum": _LANGUAGES},
                                 "text": {"type": ["string", "null"], "minLength": 2, "maxLength": 500,
                                          "description": "null removes the translation"}}},
    "CreatePoll": {"type": "object", "required": ["title", "kind"], "additionalProperties": False, "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "kind": {"enum": ["single", "multiple", "rating", "wordcloud"]},
        "options": {"type": "array", "minItems": 2, "maxItems": 12, "items": {"type": "string", "maxLength": 120}},
        "max_choices": {"type": "integer", "minimum": 1}, "scale": {"type": "integer", "minimum": 2, "maximum": 10},
        "labels": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string", "maxLength": 40}},
        "results": {"enum": ["live", "closed", "never", "answered"]}},
        # options only for single and multiple choice; scale and labels only for ratings
        "allOf": [{"if": {"required": ["kind"], "properties": {"kind": {"enum": ["rating", "wordcloud"]}}},
                   "then": {"not": {"required": ["options"]}}},
                  {"if": {"required": ["kind"], "properties": {"kind": {"enum": ["single", "multiple"]}}},
                   "then": {"required": ["options"]}}]},
    "EditOwn": {"type": "object", "additionalProperties": False, "required": ["text"], "properties": {
        "text": {"type": "string", "minLength": 2, "maxLength": 500}}},
    "Answer": {"type": "object", "additionalProperties": False, "properties": {
        "choices": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "rating": {"type": "integer", "minimum": 1, "maximum": 10},
        "words": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string", "maxLength": 25}}}},
    "CreateSegment": {"type": "object", "required": ["title"], "additionalProperties": False, "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 120}, "starts_at": {"type": "string"},
        "speakers": {"type": "string", "maxLength": 200}}},
    "CreateNote": {"type": "object", "required": ["text"], "additionalProperties": False, "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 280}}},
    "Present": {"type": "object", "required": ["poll"], "additionalProperties": False,
                "properties": {"poll": {**_NULLABLE_ID, "description": "a poll id, or null to show none"}}},
    "Rotate": {"type": "object", "additionalProperties": False, "properties": {
        "which": {"enum": ["moderator", "presenter"], "default": "moderator"}}},
    "Ban": {"type": "object", "required": ["participant"], "additionalProperties": False, "properties": {
        "participant": {"type": "string", "pattern": "^[0-9a-f]{10}$",
                        "description": "A question's `participant` tag, as moderators see it"}}},
    "Bans": {"type": "object", "required": ["banned"], "properties": {
        "banned": {"type": "array", "items": {"type": "string"}}}},
    "AuditEntry": {"type": "object", "required": ["at", "who", "key", "action", "target"], "properties": {
        "at": {"type": "string", "description": "ISO 8601, UTC"},
        "who": {"enum": ["admin", "moderator", "presenter"]},
        "key": {"type": "string", "description": "The first 12 hex digits of the token's SHA-256, never the token"},
        "action": {"type": "string", "description": "e.g. question.approve, participant.ban, token.rotate"},
        "target": {"type": "object", "description": "What it acted on, e.g. {\"question\": 3}"}}},
}

_code = _path_param("code")
_qid = _path_param("qid", integer=True)
_pid = _path_param("pid", integer=True)
_sid = _path_param("sid", integer=True)
_nid = _path_param("nid", integer=True)
# 401 no_participant (no cookie yet; the answer sets it) or proof_required; 403 passcode_required or cross_origin
_WRITE_ERRORS = ("400", "401", "403", "404", "413", "415", "429", "503")
_VOTE_ERRORS = ("400", "401", "403", "404", "409", "413", "429", "503")
_MOD_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "503")

PATHS: dict[str, Any] = {
    "/healthz": {"get": _op("Liveness", _ok("200", "The process runs"))},
    "/readyz": {"get": _op("Readiness: storage and broker answer",
                           {**_ok("200", "Ready"), "503": {"description": "Not ready"}})},
    "/api/events": {
        "post": _op("Create an event (organiser)", {**_ok("201", "Created", _ref("OrganiserEvent")),
                                                   **_errors("400", "401", "409", "413", "503")},
                    body=_ref("CreateEvent"), auth=True),
        "get": _op("List events (organiser)", {**_ok("200", "Events", {"type": "array",
                                                                      "items": _ref("OrganiserEvent")}),
                                              **_errors("401", "503")}, auth=True),
    },
    "/api/events/{code}": {
        "parameters": [_code],
        "get": _op("Snapshot for this viewer; sets the participant cookie when there is none (429 when the "
                   "client address's bucket of new participants is empty)",
                   {**_ok("200", "Snapshot", _ref("Snapshot")), **_errors("404", "429", "503")}),
        "patch": _op("Change settings (moderator)", {**_ok("200", "Event", _ref("Event")), **_errors(*_MOD_ERRORS)},
                     body=_ref("PatchEvent"), auth=True),
        "delete": _op("Erase the event and everything in it (organiser)",
                      {"204": {"description": "Erased"}, **_errors("401", "404", "503")}, auth=True),
    },
    "/api/events/{code}/rotate": {"parameters": [_code], "post": _op(
        "Rotate the moderator (default) or presenter token (organiser): the old one stops working at once and "
        "sockets authenticated with it close with 1008",
        {**_ok("200", "The event with its new tokens", _ref("OrganiserEvent")),
         **_errors("400", "401", "403", "404", "409", "413", "415", "503")}, body=_ref("Rotate"), auth=True)},
    "/api/events/{code}/audit": {"parameters": [_code], "get": _op(
        "Audit log: every moderator action (who, what, when), oldest first (moderator)",
        {**_ok("200", "Audit records", {"type": "array", "items": _ref("AuditEntry")}),
         **_errors("401", "403", "404", "503")}, auth=True)},
    "/api/events/{code}/bans": {
        "parameters": [_code],
        "get": _op("Banned participant tags (moderator)", {**_ok("200", "Bans", _ref("Bans")),
                                                          **_errors("401", "403", "404", "503")}, auth=True),
        "post": _op("Ban a participant by tag: their pending questions are held, new ones silently held",
                    {**_ok("200", "Bans", _ref("Bans")), **_errors(*_MOD_ERRORS)}, body=_ref("Ban"), auth=True),
    },
    "/api/events/{code}/bans/{tag}": {
        "parameters": [_code, {"name": "tag", "in": "path", "required": True,
                               "schema": {"type": "string", "maxLength": 64}}],
        "delete": _op("Lift a ban: held questions go back to the queue",
                      {**_ok("200", "Bans", _ref("Bans")), **_errors("401", "403", "404", "409", "503")},
                      auth=True),
    },
    "/api/events/{code}/me": {"parameters": [_code], "delete": _op(
        "Forget me: delete own questions and requests for the floor, withdraw own votes and answers",
        {"204": {"description": "Forgotten"}, **_errors("401", "404", "429", "503")})},
    "/api/events/{code}/challenge": {"parameters": [_code], "get": _op(
        "A fresh proof-of-work challenge for this event (single use, expires)",
        {**_ok("200", "Challenge", _ref("Challenge")), **_errors("404", "429", "503")})},
    "/api/events/{code}/participant": {"parameters": [_code], "post": _op(
        "Send a solved challenge: this participant (minted now if it had no cookie) may write to the event",
        {**_ok("200", "Admitted", _ref("Admitted")), **_errors("400", "404", "413", "429", "503")},
        body=_ref("Solution"))},
    "/api/events/{code}/passcode": {"parameters": [_code], "post": _op(
        "Enter the event's passcode (once per participant; tries limited)",
        {**_ok("200", "Admitted", _ref("Admitted")), **_errors("400", "403", "404", "413", "429", "503")},
        body=_ref("Passcode"))},
    "/api/events/{code}/health": {"parameters": [_code], "get": _op(
        "Vote health for moderators: recent joins and refused mints",
        {**_ok("200", "Health", _ref("Health")), **_errors("401", "403", "404", "503")}, auth=True)},
    "/api/events/{code}/export": {"parameters": [_code], "get": _op(
        "Export questions, votes, poll results and the list of speakers' interventions with speaking-time totals "
        "(organiser or moderator)",
        {"200": {"description": "Export", "content": {"application/json": {"schema": {"type": "object"}},
                                                      "text/csv": {"schema": {"type": "string"}}}},
         **_errors("400", "401", "403", "404", "503")}, auth=True,
        params=[{"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}},
                {"name": "table", "in": "query", "schema": {"enum": ["questions", "polls"]},
                 "description": "with format=csv: just this table, one header row (opens as one sheet)"}])},
    "/api/events/{code}/questions": {"parameters": [_code], "post": _op(
        "Ask a question (attendee)", {**_ok("201", "Question", _ref("Question")), **_errors(*_WRITE_ERRORS, "409")},
        body=_ref("Ask"))},
    "/api/events/{code}/questions/{qid}/vote": {
        "parameters": [_code, _qid],
        "post": _op("Upvote (idempotent); its own asker may not upvote a question",
                    {**_ok("200", "Votes", _ref("Votes")), **_errors(*_VOTE_ERRORS),
                     "409": {"description": "`not_votable`: the question is not approved; `own_question`: the caller "
                                            "asked it (nothing is written)", **_json(_ref("Error"))}}),
        "delete": _op("Withdraw the upvote", {**_ok("200", "Votes", _ref("Votes")), **_errors(*_VOTE_ERRORS)}),
    },
    "/api/events/{code}/questions/{qid}": {
        "parameters": [_code, _qid],
        "patch": _op("Edit own question while it is pending (its asker); 409 not_pending after",
                     {**_ok("200", "Question", _ref("Question")), **_errors(*_VOTE_ERRORS)}, body=_ref("EditOwn")),
        "delete": _op("Withdraw own question (its asker); someone else's is 404",
                      {"204": {"description": "Withdrawn"}, **_errors("401", "403", "404", "429", "503")}),
    },
    "/api/events/{code}/questions/{qid}/edit": {"parameters": [_code, _qid], "post": _op(
        "Edit own question while it is pending (same as PATCH, for clients without PATCH)",
        {**_ok("200", "Question", _ref("Question")), **_errors(*_VOTE_ERRORS)}, body=_ref("EditOwn"))},
    "/api/events/{code}/queue": {"parameters": [_code], "get": _op(
        "Every question with its status (moderator)",
        {**_ok("200", "Questions", {"type": "array", "items": _ref("Question")}),
         **_errors("401", "403", "404", "503")}, auth=True)},
    "/api/events/{code}/questions/{qid}/moderate": {"parameters": [_code, _qid], "post": _op(
        "Moderate a question", {**_ok("200", "Question", _ref("Question")), **_errors(*_MOD_ERRORS)},
        body=_ref("Moderate"), auth=True)},
    "/api/events/{code}/questions/{qid}/translations": {"parameters": [_code, _qid], "post": _op(
        "Add, replace or remove (text null) a reviewed translation (moderator)",
        {**_ok("200", "Question", _ref("Question")), **_errors(*_MOD_ERRORS)}, body=_ref("Translate"), auth=True)},
    "/api/events/{code}/polls": {"parameters": [_code], "post": _op(
        "Create a poll (closed)", {**_ok("201", "Poll", _ref("Poll")), **_errors(*_MOD_ERRORS)},
        body=_ref("CreatePoll"), auth=True)},
    "/api/events/{code}/polls/{pid}": {
        "parameters": [_code, _pid],
        "patch": _op("Edit a poll without answers", {**_ok("200", "Poll", _ref("Poll")), **_errors(*_MOD_ERRORS)},
                     body=_ref("CreatePoll"), auth=True),
        "delete": _op("Delete a poll", {"204": {"description": "Deleted"}, **_errors(*_MOD_ERRORS)}, auth=True),
    },
    **{f"/api/events/{{code}}/polls/{{pid}}/{action}": {"parameters": [_code, _pid], "post": _op(
        f"{action.capitalize()} the poll", {**_ok("200", "Poll", _ref("Poll")), **_errors(*_MOD_ERRORS)},
        auth=True)} for action in ("open", "close", "reset")},
    "/api/events/{code}/polls/{pid}/answer": {"parameters": [_code, _pid], "post": _op(
        "Answer (again = replace own answer)", {**_ok("200", "Poll", _ref("Poll")),
                                               **_errors(*_WRITE_ERRORS, "409")}, body=_ref("Answer"))},
    "/api/events/{code}/present": {"parameters": [_code], "post": _op(
        "Choose the poll the presenter view shows (or none)", {**_ok("200", "Event", _ref("Event")),
                                                               **_errors(*_MOD_ERRORS)},
        body=_ref("Present"), auth=True)},
    "/api/events/{code}/segments": {"parameters": [_code], "post": _op(
        "Add an agenda segment", {**_ok("201", "Segment", _ref("Segment")), **_errors(*_MOD_ERRORS)},
        body=_ref("CreateSegment"), auth=True)},
    "/api/events/{code}/segments/{sid}/activate": {"parameters": [_code, _sid], "post": _op(
        "Make a segment the active one", {**_ok("200", "Event", _ref("Event")), **_errors(*_MOD_ERRORS)},
        auth=True)},
    "/api/events/{code}/notes": {"parameters": [_code], "post": _op(
        "Send a backstage note to the panel", {**_ok("201", "Note", _ref("Note")), **_errors(*_MOD_ERRORS)},
        body=_ref("CreateNote"), auth=True)},
    "/api/events/{code}/notes/{nid}/ack": {"parameters": [_code, _nid], "post": _op(
        "Acknowledge a note (presenter)", {**_ok("200", "Note", _ref("Note")),
                                           **_errors("400", "401", "404", "409", "413", "503")}, auth=True)},
    "/api/events/{code}/speakers": {
        "parameters": [_code],
        "get": _op("The list of speakers as this viewer may see it (attendees: speaking and waiting; moderators: "
                   "every request)", {**_ok("200", "Requests in list order", {"type": "array",
                                                                            "items": _ref("Speaker")}),
                                      **_errors("404", "503")}),
        "post": _op("Request the floor (attendee); one waiting or speaking request per participant",
                    {**_ok("201", "Request", _ref("Speaker")),
                     **_errors(*_WRITE_ERRORS, "409")}, body=_ref("RequestFloor")),
    },
    "/api/events/{code}/speakers/{sid}": {"parameters": [_code, _sid], "delete": _op(
        "Withdraw a waiting request (its requester, or a moderator with the token)",
        {"204": {"description": "Withdrawn (again: still 204)"}, **_errors("401", "403", "404", "409", "503")})},
    "/api/events/{code}/speakers/{sid}/moderate": {"parameters": [_code, _sid], "post": _op(
        "The chair's action on a request: give the floor, done, remove, move, or the clock",
        {**_ok("200", "Request", _ref("Speaker")), **_errors(*_MOD_ERRORS)}, body=_ref("ModerateSpeaker"),
        auth=True)},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Floor", "version": __version__,
             "description": "Live, moderated Q&A and quick polls. WebSocket messages: docs/protocol.md."},
    "paths": PATHS,
    "components": {"schemas": SCHEMAS,
                   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
}

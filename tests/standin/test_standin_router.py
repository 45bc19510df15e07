"""/api/method router: auth, whitelisting, verbs, form_dict, sanitising, Response passthrough, transactions."""

import json
import uuid

import frappe
import standin_test_api  # noqa: F401 - registers the whitelisted functions


def _tag():
    return f"R-{uuid.uuid4().hex[:8]}"


def test_guest_refused_for_non_guest_method(standin):
    response = standin.call_method("standin_test_api.private_echo", http_method="GET", query={"value": "x"})
    assert response.status == 403
    assert response.json["exc_type"] == "PermissionError"


def test_logged_in_user_can_call(standin):
    response = standin.call_method("standin_test_api.private_echo", http_method="GET", query={"value": "x"},
                                   user="Administrator")
    assert response.status == 200
    assert response.json["message"] == {"value": "x", "user": "Administrator"}


def test_wrong_verb_is_403(standin):
    response = standin.call_method("standin_test_api.guest_post_only", http_method="GET")
    assert response.status == 403


def test_authorization_junk_is_401(standin):
    response = standin.call_method("standin_test_api.guest_post_only", body={"a": 1},
                                   headers={"Authorization": "HMAC abcdef"})
    assert response.status == 401
    assert response.json["exc_type"] == "AuthenticationError"


def test_json_body_object_array_and_raw_body(standin):
    body = json.dumps({"a": "1", "b": [1, 2]}).encode()
    response = standin.call_method("standin_test_api.guest_post_only", body=body, query={"q": "ignored"},
                                   headers={"Content-Type": "application/json", "X-Signature": "sig"})
    message = response.json["message"]
    assert message["kwargs"] == {"a": "1", "b": [1, 2], "cmd": "standin_test_api.guest_post_only"}
    assert message["raw"] == body.decode() and message["sig"] == "sig" and message["user"] == "Guest"
    array = standin.call_method("standin_test_api.guest_post_only", body=[{"id": 1}])
    assert array.json["message"]["kwargs"]["data"] == [{"id": 1}]


def test_guest_form_dict_sanitised_unless_xss_safe(standin):
    payload = {"html": "<b>ok</b><script>alert(1)</script>"}
    sanitised = standin.call_method("standin_test_api.guest_post_only", body=payload).json["message"]["kwargs"]["html"]
    assert "<script>" not in sanitised and "<b>ok</b>" in sanitised
    raw = standin.call_method("standin_test_api.guest_xss_safe", body=payload).json["message"]["html"]
    assert raw == payload["html"]


def test_type_hints_are_validated(standin):
    ok = standin.call_method("standin_test_api.guest_typed", http_method="GET", query={"count": "3", "flag": "true"})
    assert ok.json["message"] == {"count": 3, "flag": True}
    bad = standin.call_method("standin_test_api.guest_typed", http_method="GET", query={"count": "three"})
    assert bad.status == 417 and bad.json["exc_type"] == "FrappeTypeError"


def test_response_passthrough(standin):
    response = standin.call_method("standin_test_api.guest_raw_response")
    assert response.status == 202 and response.body == b"pong" and response.json is None


def test_post_commits_get_rolls_back(standin):
    posted, got = _tag(), _tag()
    assert standin.call_method("standin_test_api.guest_writes", body={"tag": posted}).status == 200
    assert standin.call_method("standin_test_api.guest_get_writes", http_method="GET", query={"tag": got}).status == 200
    frappe.db.rollback()
    assert frappe.db.exists("UOM", posted) and not frappe.db.exists("UOM", got)


def test_exception_rolls_back_everything_including_error_log(standin):
    tag = _tag()
    response = standin.call_method("standin_test_api.guest_writes_then_fails", body={"tag": tag})
    assert response.status == 417 and response.json["exc_type"] == "ValidationError"
    assert not frappe.db.exists("UOM", tag)
    assert not frappe.db.exists("Error Log", {"method": f"logged {tag}"})


def test_unknown_method_and_user_restored(standin):
    frappe.set_user("Administrator")
    response = standin.call_method("standin_test_api.does_not_exist")
    assert response.status == 417
    assert frappe.session.user == "Administrator"

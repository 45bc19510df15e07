"""frappe.utils.password: Password fields are stored encrypted in the ``__Auth`` table (Fernet, like frappe)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

import frappe
from frappe import _


def _fernet() -> Fernet:
    key = frappe.conf.get("encryption_key")
    if not key:
        raise frappe.StandinStrictError("site_config.json has no encryption_key (frappe.standin.new_site sets one)")
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(txt: str, encryption_key: str | None = None) -> str:
    return _fernet().encrypt(txt.encode()).decode()


def decrypt(txt: str, encryption_key: str | None = None, key: str | None = None) -> str:
    try:
        return _fernet().decrypt(txt.encode()).decode()
    except InvalidToken as exc:
        frappe.throw(
            _("Encryption key is invalid! Please check site_config.json"), frappe.ValidationError, title=_("Encryption Error")
        )
        raise exc


def set_encrypted_password(doctype: str, name: str, pwd: str, fieldname: str = "password") -> None:
    encrypted = encrypt(pwd)
    frappe.db.sql(frappe.db.upsert_password_sql(), (doctype, name, fieldname, encrypted))


def get_decrypted_password(doctype: str, name: str, fieldname: str = "password", raise_exception: bool = True):
    rows = frappe.db.sql(
        "select `password` from `__Auth` where `doctype`=%s and `name`=%s and `fieldname`=%s and `encrypted`=1",
        (doctype, name, fieldname),
    )
    if rows and rows[0][0]:
        return decrypt(rows[0][0])
    if raise_exception:
        frappe.throw(
            _("Password not found for {0} {1} {2}").format(doctype, name, fieldname), frappe.AuthenticationError
        )
    return None


def remove_encrypted_password(doctype: str, name: str, fieldname: str = "password") -> None:
    frappe.db.sql(
        "delete from `__Auth` where `doctype`=%s and `name`=%s and `fieldname`=%s", (doctype, name, fieldname)
    )


def delete_all_passwords_for(doctype: str, name: str) -> None:
    frappe.db.sql("delete from `__Auth` where `doctype`=%s and `name`=%s", (doctype, name))


def rename_password(doctype: str, old_name: str, new_name: str) -> None:
    frappe.db.sql("update `__Auth` set `name`=%s where `doctype`=%s and `name`=%s", (new_name, doctype, old_name))

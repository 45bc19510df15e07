"""Customers, their Addresses and Contacts; the guest policy and the duplicate finder."""

from __future__ import annotations

from collections import defaultdict

import frappe

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.erpnext.common import (
    CUSTOMER_MAP,
    AdapterBase,
    atomic,
    inbound_sync,
)
from wix_commerce_sync.persistence.times import to_db
from wix_commerce_sync.sync.errors import MappingError
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    Customer,
    Order,
)
from wix_commerce_sync.sync.ports import ApplyResult


class CustomersMixin(AdapterBase):
    def customer_by_email(self, email: str | None) -> str | None:
        if not email:
            return None
        contacts = frappe.get_all("Contact Email", filters={"email_id": email, "parenttype": "Contact"}, pluck="parent")
        for contact in contacts:
            customer = frappe.db.get_value("Dynamic Link", {"parenttype": "Contact", "parent": contact,
                                                            "link_doctype": "Customer"}, "link_name")  # fmt: skip
            if customer:
                return customer
        return None

    def find_customer(self, store: str, customer: Customer, key_row=None) -> str | None:
        """``key_row``: the mapping row of the customer's id when the caller already read it (or False: none)."""
        if customer.external_id:
            if key_row is None:
                key_row = self._customer_mapping_row(store, customer.external_id)
            if key_row and key_row.customer:
                return key_row.customer
        if customer.email:
            name = frappe.db.get_value(CUSTOMER_MAP, {"store": store, "email": customer.email.lower()}, "customer")
            return name or self.customer_by_email(customer.email)
        return None

    def upsert_customer(self, store: str, customer: Customer, *, from_order: bool = False) -> ApplyResult:
        """``from_order``: the customer as an order shows it (a guest's billing name, a buyer's name at checkout): it
        finds or makes the Customer and adds addresses and contact details, but never renames an existing Customer.
        The name is the customer record's (one Customer per email per store; a rename on the store renames it),
        so an order placed before or after a rename, replayed or late, cannot undo it."""
        defaults = self.defaults(store)
        with inbound_sync(store), atomic("commerce_customer"):
            key_row = self._customer_mapping_row(store, customer.external_id) if customer.external_id else False
            existing = self.find_customer(store, customer, key_row=key_row)
            if existing:
                changed = self._update_customer(existing, customer, defaults, rename=not from_order)
                result = ApplyResult("Customer", existing, changed=changed)
            else:
                result = ApplyResult("Customer", self._create_customer(customer, defaults), created=True)
            if customer.external_id:
                self._upsert_customer_mapping(store, result.name, customer, mapping=key_row.name if key_row else "")
        return result

    @staticmethod
    def _customer_mapping_row(store: str, external_id: str):
        row = frappe.db.get_value(CUSTOMER_MAP, {"customer_key": record_key(store, external_id)}, ["name", "customer"],
                                  as_dict=True)  # fmt: skip
        return row or False

    def _create_customer(self, customer: Customer, defaults: d.ErpDefaults) -> str:
        docs = d.customer_documents(customer, defaults)
        cust = frappe.get_doc(docs[0])
        cust.insert(ignore_permissions=True)
        primary: dict[str, str] = {}
        for doc in docs[1:]:
            for link in doc.get("links") or []:
                link["link_name"] = cust.name
            if doc["doctype"] == "Address":
                doc["country"] = self._country(doc.get("country"))
            made = frappe.get_doc(doc).insert(ignore_permissions=True)
            primary.setdefault(doc["doctype"], made.name)
        updates = {}
        if primary.get("Contact"):
            updates["customer_primary_contact"] = primary["Contact"]
        if primary.get("Address"):
            updates["customer_primary_address"] = primary["Address"]
        if updates:
            frappe.db.set_value("Customer", cust.name, updates, update_modified=False)
        return cust.name

    def _update_customer(self, name: str, customer: Customer, defaults: d.ErpDefaults, *, rename: bool = True) -> bool:
        changed = False
        if rename and customer.display_name and frappe.db.get_value("Customer", name, "customer_name") != customer.display_name[:140]:
            doc = frappe.get_doc("Customer", name)
            doc.customer_name = customer.display_name[:140]
            doc.save(ignore_permissions=True)
            changed = True
        for address in customer.addresses:
            if not address.is_empty() and not self._find_address(name, address):
                self._insert_address(name, address)
                changed = True
        contact = frappe.db.get_value("Dynamic Link", {"parenttype": "Contact", "link_doctype": "Customer",
                                                       "link_name": name}, "parent")  # fmt: skip
        renamed_contact = rename and (customer.first_name or customer.last_name) and contact
        if contact and (customer.email or customer.phone or renamed_contact):
            doc = frappe.get_doc("Contact", contact)
            emails = {row.email_id.lower() for row in doc.email_ids if row.email_id}
            phones = {row.phone for row in doc.phone_nos}
            dirty = False
            # the Contact carries the name the stores get back (outbound reads it): it follows a rename (a Contact's
            # first name is mandatory: a store customer with a last name only has it there)
            names = (customer.first_name or customer.last_name, customer.last_name if customer.first_name else None)
            if renamed_contact and (doc.first_name, doc.last_name or None) != names:
                doc.first_name, doc.last_name = names
                dirty = True
            if customer.email and customer.email.lower() not in emails:
                doc.append("email_ids", {"email_id": customer.email, "is_primary": 0 if emails else 1})
                dirty = True
            if customer.phone and customer.phone not in phones:
                doc.append("phone_nos", {"phone": customer.phone, "is_primary_phone": 0 if phones else 1})
                dirty = True
            if dirty:
                doc.save(ignore_permissions=True)
                changed = True
        elif not contact and (customer.email or customer.phone):
            contact_doc = d.customer_documents(customer, defaults, customer_name=name)[-1]
            if contact_doc["doctype"] == "Contact":
                frappe.get_doc(contact_doc).insert(ignore_permissions=True)
                changed = True
        return changed

    def _find_address(self, customer: str, address, known: list | None = None) -> str | None:
        """The customer's Address equal to ``address`` (line 1, postcode, type). ``known``: the customer's addresses
        already read by ``customer_addresses`` (an order matches billing and shipping with one read)."""
        for row in known if known is not None else self.customer_addresses(customer):
            if row.address_line1 == (address.line1 or "-") and (row.pincode or None) == (address.postcode or None) \
                    and row.address_type == (address.kind or "Billing"):  # fmt: skip
                return row.name
        return None

    @staticmethod
    def customer_addresses(customer: str) -> list:
        """Every Address linked to the customer, in one query (the Dynamic Link child table as a filter)."""
        return frappe.get_all("Address", filters=[["Dynamic Link", "link_doctype", "=", "Customer"],
                                                  ["Dynamic Link", "link_name", "=", customer]],
                              fields=["name", "address_line1", "pincode", "address_type"], order_by="creation desc")  # fmt: skip

    def _insert_address(self, customer: str, address) -> str:
        doc = d.address_document(address, customer)
        doc["country"] = self._country(doc.get("country"))
        return frappe.get_doc(doc).insert(ignore_permissions=True).name

    def _country(self, value: str | None) -> str:
        """A Country record name from a name or an ISO code (Country.code is lower-case alpha-2); remembered for
        this adapter's life (one worker job), as every address of an order names the same few countries."""
        if value and value in self._countries:
            return self._countries[value]
        found = self._lookup_country(value)
        if value:
            self._countries[value] = found
        return found

    def _lookup_country(self, value: str | None) -> str:
        if value and frappe.db.exists("Country", value):
            return value
        if value and len(value) == 2:
            found = frappe.db.get_value("Country", {"code": value.lower()}, "name")
            if found:
                return found
        fallback = frappe.db.get_value("Company", self._any_company(), "country") if self._any_company() else None
        if fallback:
            return fallback
        raise MappingError(f"unknown country {value!r} on an address")

    @staticmethod
    def _any_company() -> str | None:
        return frappe.db.get_single_value("Global Defaults", "default_company") or frappe.db.get_value("Company", {}, "name")

    def _upsert_customer_mapping(self, store: str, customer_name: str, customer: Customer,
                                 mapping: str | None = None) -> None:  # fmt: skip
        """``mapping``: the mapping's name when the caller just read it ("" when it read that there is none)."""
        key = record_key(store, customer.external_id)
        name = mapping if mapping is not None else frappe.db.get_value(CUSTOMER_MAP, {"customer_key": key}, "name")
        mapping = frappe.get_doc(CUSTOMER_MAP, name) if name else frappe.new_doc(CUSTOMER_MAP)
        mapping.update({"store": store, "customer": customer_name, "external_customer_id": customer.external_id,
                        "email": (customer.email or "").lower() or None, "remote_updated_at": to_db(customer.updated_at),
                        "last_synced_at": frappe.utils.now_datetime()})  # fmt: skip
        mapping.save(ignore_permissions=True) if name else mapping.insert(ignore_permissions=True)

    def delete_customer(self, store: str, external_id: str) -> ApplyResult | None:
        """A customer deleted on the store: the mapping goes, the Customer (and its orders) stay."""
        name = frappe.db.get_value(CUSTOMER_MAP, {"customer_key": record_key(store, external_id)}, ["name", "customer"],
                                   as_dict=True)  # fmt: skip
        if not name:
            return None
        with inbound_sync(), atomic("commerce_delete_customer"):
            frappe.delete_doc(CUSTOMER_MAP, name.name, ignore_permissions=True, force=True)
        return ApplyResult("Customer", name.customer, message="mapping removed; the customer is kept")

    def customer_for_order(self, store: str, order: Order) -> str:
        """The order's customer: mapped/matched/created; guests follow the store's policy."""
        doc = self.store_doc(store)
        customer = order.customer
        email = (customer.email if customer else None) or order.email or (order.billing_address.email if order.billing_address else None)
        if order.is_guest and doc.guest_customer_policy == "Default walk-in customer":
            if not doc.walk_in_customer:
                raise MappingError("guest order, and the store's walk-in customer is not set")
            return doc.walk_in_customer
        if customer is None:
            billing = order.billing_address
            customer = Customer(external_id=None, email=email, first_name=billing.first_name if billing else None,
                                last_name=billing.last_name if billing else None,
                                phone=billing.phone if billing else None, company=billing.company if billing else None)  # fmt: skip
        elif not customer.email and email:
            customer = Customer(**{**vars(customer), "email": email})
        addresses = [a for a in (order.billing_address, order.shipping_address) if a is not None]
        for kind, address in zip(("Billing", "Shipping"), (order.billing_address, order.shipping_address)):
            if address is not None:
                address.kind = kind
        customer.addresses = customer.addresses or addresses
        if not (customer.external_id or customer.email):
            if doc.walk_in_customer:
                return doc.walk_in_customer
            raise MappingError("the order has no customer id and no email, and no walk-in customer is set")
        return self.upsert_customer(store, customer, from_order=True).name


def find_duplicate_customers(limit: int = 200) -> list[dict]:
    """Groups of Customers sharing an email (via their Contacts) or a normalised name."""
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    links = frappe.get_all("Dynamic Link", filters={"parenttype": "Contact", "link_doctype": "Customer"},
                           fields=["parent", "link_name"])  # fmt: skip
    by_contact: dict[str, set[str]] = defaultdict(set)
    for link in links:
        by_contact[link.parent].add(link.link_name)
    for row in frappe.get_all("Contact Email", filters={"parenttype": "Contact"}, fields=["parent", "email_id"]):
        for customer in by_contact.get(row.parent, ()):
            groups[("email", (row.email_id or "").strip().lower())].add(customer)
    for row in frappe.get_all("Customer", filters={"disabled": 0}, fields=["name", "customer_name"]):
        groups[("name", " ".join((row.customer_name or "").lower().split()))].add(row.name)
    found = [{"match": kind, "value": value, "customers": sorted(names)}
             for (kind, value), names in groups.items() if value and len(names) > 1]  # fmt: skip
    found.sort(key=lambda g: (-len(g["customers"]), g["match"], g["value"]))
    return found[:limit]

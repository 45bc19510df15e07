"""frappe.model.docstatus.DocStatus (int subclass)."""


class DocStatus(int):
    DRAFT = 0
    SUBMITTED = 1
    SUMBITTED = 1  # frappe's historical spelling
    CANCELLED = 2

    def is_draft(self) -> bool:
        return self == self.DRAFT

    def is_submitted(self) -> bool:
        return self == self.SUBMITTED

    def is_cancelled(self) -> bool:
        return self == self.CANCELLED

    @classmethod
    def draft(cls):
        return cls(cls.DRAFT)

    @classmethod
    def submitted(cls):
        return cls(cls.SUBMITTED)

    @classmethod
    def cancelled(cls):
        return cls(cls.CANCELLED)

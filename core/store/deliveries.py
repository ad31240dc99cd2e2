"""Deliveries: to whom each day's digest was sent, sent exactly once per recipient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.store.claims import Claims, mail_claim
from core.store.database import utc_now
from core.store.records import Delivery, DeliveryClaims


class Deliveries(Claims):
    """Claiming recipients, then recording each one's delivery."""

    def claim_deliveries(
        self, day: date | str, addresses: Sequence[str], holder: str, *, force: bool = False
    ) -> DeliveryClaims:
        """Claim, in one transaction, each address the day's digest is to be sent to now.

        An address that already got the day's digest is left out (unless `force`), and so is
        one another live sender holds: it is sending to it now, and never two at once.
        """
        result = DeliveryClaims()
        with self._transaction() as db:
            for address in addresses:
                if (
                    not force
                    and db.execute(
                        "SELECT 1 FROM deliveries WHERE day = ? AND recipient = ? AND status = 'sent'",
                        (str(day), address.lower()),
                    ).fetchone()
                ):
                    result.already_sent.append(address)
                    continue
                other = self._take_claim(db, mail_claim(day, address), holder, None)
                if other is None:
                    result.claimed.append(address)
                else:
                    result.held[address] = other
        return result

    def record_delivery(
        self,
        day: date | str,
        recipient: str,
        *,
        status: str,
        message_id: str | None = None,
        error: str = "",
        holder: str | None = None,
    ) -> None:
        """Record that the day's digest was sent to (or refused for) one recipient.

        With `holder`, its claim on the recipient is released in the same transaction (a
        failed recipient is then retried by the next run).
        """
        with self._transaction() as db:
            db.execute(
                "INSERT INTO deliveries (day, recipient, status, message_id, error, attempted_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, recipient) DO UPDATE SET"
                " status = excluded.status, message_id = excluded.message_id,"
                " error = excluded.error, attempted_at = excluded.attempted_at",
                (str(day), recipient.lower(), status, message_id, error, utc_now()),
            )
            if holder is not None:
                db.execute(
                    "DELETE FROM claims WHERE name = ? AND holder = ?",
                    (mail_claim(day, recipient), holder),
                )

    def delivered(self, day: date | str, recipient: str) -> bool:
        """True when the day's digest was already sent to this recipient."""
        rows = self._query(
            "SELECT 1 FROM deliveries WHERE day = ? AND recipient = ? AND status = 'sent'",
            (str(day), recipient.lower()),
        )
        return bool(rows)

    def deliveries(self, day: date | str) -> list[Delivery]:
        """Every delivery of the day's digest, by recipient."""
        rows = self._query("SELECT * FROM deliveries WHERE day = ? ORDER BY recipient", (str(day),))
        return [
            Delivery(
                day=row["day"],
                recipient=row["recipient"],
                status=row["status"],
                message_id=row["message_id"],
                error=row["error"],
                attempted_at=row["attempted_at"],
            )
            for row in rows
        ]

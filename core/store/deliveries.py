"""Deliveries: to whom each channel sent each day, sent exactly once per recipient.

A recipient is what the channel sends to: an email address (compared without case, as
mail systems do), or a chat URL as configured (compared exactly; its secrets are
placeholders, never the tokens themselves).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.store.claims import EMAIL_CHANNEL, Claims, delivery_claim, recipient_key
from core.store.database import day_text, utc_now
from core.store.records import Delivery, DeliveryClaims


class Deliveries(Claims):
    """Claiming recipients, then recording each one's delivery."""

    def claim_deliveries(
        self,
        day: date,
        addresses: Sequence[str],
        holder: str,
        *,
        force: bool = False,
        channel: str = EMAIL_CHANNEL,
    ) -> DeliveryClaims:
        """Claim, in one transaction, each recipient the channel is to send the day to now.

        A recipient that already got the day is left out (unless `force`), and so is one
        another live sender holds: it is sending to it now, and never two at once.
        """
        result = DeliveryClaims()
        with self._transaction() as db:
            for address in addresses:
                if (
                    not force
                    and db.execute(
                        "SELECT 1 FROM deliveries WHERE channel = ? AND day = ? AND recipient = ?"
                        " AND status = 'sent'",
                        (channel, day_text(day), recipient_key(channel, address)),
                    ).fetchone()
                ):
                    result.already_sent.append(address)
                    continue
                other = self._take_claim(db, delivery_claim(channel, day, address), holder, None)
                if other is None:
                    result.claimed.append(address)
                else:
                    result.held[address] = other
        return result

    def record_delivery(
        self,
        day: date,
        recipient: str,
        *,
        status: str,
        message_id: str | None = None,
        error: str = "",
        holder: str | None = None,
        channel: str = EMAIL_CHANNEL,
    ) -> None:
        """Record that the channel sent the day to (or failed for) one recipient.

        With `holder`, its claim on the recipient is released in the same transaction (a
        failed recipient is then retried by the next run).
        """
        with self._transaction() as db:
            db.execute(
                "INSERT INTO deliveries (channel, day, recipient, status, message_id, error,"
                " attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (channel, day, recipient) DO UPDATE SET"
                " status = excluded.status, message_id = excluded.message_id,"
                " error = excluded.error, attempted_at = excluded.attempted_at",
                (
                    channel,
                    day_text(day),
                    recipient_key(channel, recipient),
                    status,
                    message_id,
                    error,
                    utc_now(),
                ),
            )
            if holder is not None:
                db.execute(
                    "DELETE FROM claims WHERE name = ? AND holder = ?",
                    (delivery_claim(channel, day, recipient), holder),
                )

    def delivered(self, day: date, recipient: str, *, channel: str = EMAIL_CHANNEL) -> bool:
        """True when the channel already sent the day to this recipient."""
        rows = self._query(
            "SELECT 1 FROM deliveries WHERE channel = ? AND day = ? AND recipient = ?"
            " AND status = 'sent'",
            (channel, day_text(day), recipient_key(channel, recipient)),
        )
        return bool(rows)

    def deliveries(self, day: date, *, channel: str = EMAIL_CHANNEL) -> list[Delivery]:
        """Every delivery of the day by the channel, by recipient."""
        rows = self._query(
            "SELECT * FROM deliveries WHERE channel = ? AND day = ? ORDER BY recipient",
            (channel, day_text(day)),
        )
        return [
            Delivery(
                day=row["day"],
                recipient=row["recipient"],
                status=row["status"],
                message_id=row["message_id"],
                error=row["error"],
                attempted_at=row["attempted_at"],
                channel=row["channel"],
            )
            for row in rows
        ]

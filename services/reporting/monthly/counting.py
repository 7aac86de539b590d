"""Whether a monthly report is complete: the monthly consumer's lag, as the report states it.

A report read while the consumer is still counting (after an outage, during a replay) shows
figures that will still change; it says so, in Swedish and English, with the number of records
on the topics not yet counted. Caught up, it carries no warning (`caught_up` true).
"""

from pydantic import BaseModel, Field

from services.shared.kafka.lag import Lag


class Counting(BaseModel):
    caught_up: bool = Field(description="every record on the topics is counted (lag 0)")
    not_counted: int | None = Field(
        description="records on the topics not counted yet; None when it could not be measured"
    )
    warning_sv: str | None = Field(description="the warning to show with the report, Swedish")
    warning_en: str | None = Field(description="the same warning in English")


def counting(lag: Lag) -> Counting:
    """Pure: what the report says of `lag` (the monthly consumer's, against this store)."""
    behind = lag.total
    if behind is None:
        return Counting(
            caught_up=False,
            not_counted=None,
            warning_sv="Varning: det gick inte att se om räkningen är ikapp (Kafka svarade "
            "inte); siffrorna kan vara ofullständiga.",
            warning_en="Warning: whether counting has caught up could not be checked (Kafka "
            "did not answer); the figures may be incomplete.",
        )
    if behind == 0:
        return Counting(caught_up=True, not_counted=0, warning_sv=None, warning_en=None)
    return Counting(
        caught_up=False,
        not_counted=behind,
        warning_sv=f"Varning: räkningen är inte ikapp: {behind:,} händelser är ännu inte "
        "räknade; siffrorna kan ändras.".replace(",", "\u00a0"),
        warning_en=f"Warning: counting has not caught up: {behind:,} events are not counted "
        "yet; the figures may still change.",
    )

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from services.queueing.callbacks import CallbackTerms
from services.queueing.domain import QueuePolicy
from services.queueing.presence import OfferTerms
from services.queueing.retention import Retention
from services.shared.settings import DEV_DEFAULT, ServiceSettings


class QueueingSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_QUEUEING_"}

    service_name: str = "queueing"
    http_port: int = 8003
    # The public OIDC client the supervisor board signs people in with (PKCE; no secret).
    board_client_id: str = "pkc-ui"
    # Where the board's page reads the service levels (reporting's /sla/stream) and the open
    # alerts (notify's /alerts), with the person's own token: base URLs as the browser reaches
    # them, and each service lists the board's origin in PKC_PAGE_ORIGINS. Unset: the board
    # shows those panels as not configured.
    reporting_url: str | None = None
    notify_url: str | None = None
    # Per queue, Stockholm time: 'urgent=00:00-24:00,switchboard=08:00-16:00'; hours may run
    # across midnight ('20:00-07:00'); queues not named keep the service-level hours
    # (PKC_SLA_HOURS).
    opening_hours: str = ""
    # Swedish public holidays and the eves (midsommarafton, julafton, nyårsafton) close every
    # queue unless overridden here, per queue or for all: 'urgent@holiday=normal,
    # julafton=09:00-13:00,2027-04-30=closed' (syntax in services/queueing/opening.py).
    special_days: str = ""
    # Mail, e-service and social media wait across closing hours (never turned away nor timed
    # out); their service target: handled within this many hours of receipt.
    written_target_hours: float = Field(default=24.0, gt=0)
    # The wait estimate (docs/queues.md): the handling time it assumes while too few contacts
    # were answered lately to measure the queue's rate, and how long GET /queues/wait's
    # answer is reused.
    assumed_handling_seconds: float = Field(default=600.0, gt=0)
    wait_cache_seconds: float = Field(default=5.0, ge=0)
    # Callbacks (virtual hold, services/queueing/callbacks.py): calls made before giving up,
    # and how long an unanswered one waits in its place before the next try.
    callback_max_tries: int = Field(default=3, ge=1, le=10)
    callback_retry_minutes: float = Field(default=10.0, ge=0)
    closed_outcome: Literal["close", "queue"] = "close"
    max_wait_seconds: float = Field(default=45 * 60, gt=0)
    on_max_wait: Literal["abandon", "keep"] = "abandon"
    sweep_interval_seconds: float = Field(default=5.0, gt=0)
    # How often the live stream of queue state for operator UIs looks for changes.
    live_interval_seconds: float = Field(default=1.0, gt=0)
    # The longest gap between two snapshots of a region on pkc.queue.state (docs/queue-state.md):
    # a changed state goes out at the next look (live_interval_seconds), an unchanged one again
    # after this long, so a wallboard can tell a quiet queue from a stopped publisher.
    queue_state_interval_seconds: float = Field(default=5.0, gt=0)
    # Replicas share one database and one outbox: the relay holding this lease publishes. A
    # killed leader's replica takes over after at most this long.
    outbox_lease_seconds: float = Field(default=10.0, gt=0)
    # How long an answer's or an outcome's response is kept for a retry of the same request
    # (Idempotency-Key): longer than any client retries, short because it names the operator.
    request_retention_seconds: float = Field(default=24 * 3600, gt=0)
    # How long the sweep keeps what else names a contact or a person (platform days; reasons
    # in docs/retention.md): a finished contact's queue entry, a published outbox row, and the
    # audit, which is evidence of who did what and so is kept longest.
    entry_retention_days: float = Field(default=30, gt=0)
    outbox_retention_days: float = Field(default=7, gt=0)
    audit_retention_days: float = Field(default=5 * 365, gt=0)
    # --- the operator desk's presence and push offers (services/queueing/offers.py) ---------
    # An offer not accepted within this goes back to its place in the queue, and its operator
    # is paused (offer_declined).
    offer_timeout_seconds: float = Field(default=15.0, gt=0)
    # After an outcome the operator wraps up this long, then is ready again (0: at once).
    wrap_up_seconds: float = Field(default=30.0, ge=0)
    # An open desk looks for an offer at once when this process queues or frees a contact;
    # what another replica did it sees within this many seconds.
    offer_poll_seconds: float = Field(default=1.0, gt=0)
    # --- the desk page (/desk, services/queueing/desk.py) -----------------------------------
    # The public OIDC client the page signs people in with (PKCE; the realm's `pkc-ui`).
    desk_client_id: str = "pkc-ui"
    # Where triage's e-services live: the context card links to this address + the e-service's
    # name (rules.yaml's `e_service`, e.g. anmal-stold).
    e_service_base_url: str = "https://polisen.se/e-tjanster/"
    # --- cases the citizen follows (services/queueing/cases, docs/cases.md) ------------------
    # Derives each case's secret (HMAC-SHA256 of the case id): changing it changes them all.
    case_secret_key: SecretStr = DEV_DEFAULT
    # How long a closed case stays for the citizen to follow (platform days).
    case_closed_retention_days: float = Field(default=90, gt=0)
    # Wrong case secrets from one client address within the window before it is refused (429).
    case_max_wrong_secrets: int = Field(default=10, ge=1)
    case_wrong_secret_window_seconds: float = Field(default=600, gt=0)

    @model_validator(mode="after")
    def _hours_parse(self) -> "QueueingSettings":
        self.queue_policy()  # refused at start, by name, not at the first contact
        return self

    def retention(self) -> Retention:
        return Retention(
            entries=timedelta(days=self.entry_retention_days),
            outbox=timedelta(days=self.outbox_retention_days),
            audit=timedelta(days=self.audit_retention_days),
        )

    def offer_terms(self) -> OfferTerms:
        return OfferTerms(
            timeout=timedelta(seconds=self.offer_timeout_seconds),
            wrap_up=timedelta(seconds=self.wrap_up_seconds),
        )

    def callback_terms(self) -> CallbackTerms:
        return CallbackTerms(
            self.callback_max_tries, timedelta(minutes=self.callback_retry_minutes)
        )

    def queue_policy(self) -> QueuePolicy:
        return QueuePolicy.build(
            self.opening_hours,
            self.closed_outcome,
            self.service_level(),
            self.special_days,
            timedelta(hours=self.written_target_hours),
        )

"""PKC's service hours, 07:00-20:00 Stockholm time (zoneinfo handles daylight saving)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OPENS, CLOSES = time(7, 0), time(20, 0)


def within_service_hours(moment: datetime, opens: time = OPENS, closes: time = CLOSES) -> bool:
    local = moment.astimezone(STOCKHOLM).time()
    return opens <= local < closes

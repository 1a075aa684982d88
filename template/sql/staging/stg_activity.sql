-- One row per customer and active day. Minutes are missing when the app could not report them:
-- counted as zero, so that a day with sessions still counts as active.
select
    customer_id,
    cast(activity_date as date) as activity_date,
    sessions,
    coalesce(minutes, 0.0) as minutes,
    support_tickets
from activity

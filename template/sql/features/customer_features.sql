-- The model's input: one row per customer with the churn label. Activity is summed over the
-- 90 days before the snapshot, the last day with any activity in the data.
with snapshot as (
    select max(activity_date) as snapshot_date
    from stg_activity
),

recent as (
    select
        activity.customer_id,
        sum(activity.sessions) as sessions_90d,
        sum(activity.minutes) as minutes_90d,
        sum(activity.support_tickets) as tickets_90d
    from stg_activity as activity
    cross join snapshot
    where activity.activity_date > snapshot.snapshot_date - interval '90' day
    group by activity.customer_id
),

last_seen as (
    select
        customer_id,
        max(activity_date) as last_activity_date
    from stg_activity
    group by customer_id
)

select
    customers.customer_id,
    customers.plan,
    customers.country,
    customers.age,
    customers.monthly_fee,
    date_diff('day', customers.signup_date, snapshot.snapshot_date) as tenure_days,
    coalesce(recent.sessions_90d, 0) as sessions_90d,
    coalesce(recent.minutes_90d, 0.0) as minutes_90d,
    coalesce(recent.tickets_90d, 0) as tickets_90d,
    date_diff(
        'day', last_seen.last_activity_date, snapshot.snapshot_date
    ) as days_since_last_activity,
    customers.churned
from stg_customers as customers
cross join snapshot
left join recent on customers.customer_id = recent.customer_id
left join last_seen on customers.customer_id = last_seen.customer_id

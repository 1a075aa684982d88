-- One row per customer: dates cast, and the free-text plan and country normalised.
select
    customer_id,
    cast(signup_date as date) as signup_date,
    lower(trim(plan)) as plan,
    case upper(replace(trim(country), '.', ''))
        when 'UK' then 'GB'
        else upper(replace(trim(country), '.', ''))
    end as country,
    age,
    monthly_fee,
    churned = 1 as churned
from customers

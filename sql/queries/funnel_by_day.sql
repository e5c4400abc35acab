-- Funnel by UTC day: views, carts, purchases and conversion per day (silver events).
SELECT
  CAST(event_time AS DATE) AS `day`,
  COUNT(*) AS events,
  SUM(CASE WHEN event_type = 'view' THEN 1 ELSE 0 END) AS `views`,
  SUM(CASE WHEN event_type = 'cart' THEN 1 ELSE 0 END) AS carts,
  SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases,
  CAST(SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS DOUBLE)
    / NULLIF(SUM(CASE WHEN event_type = 'view' THEN 1 ELSE 0 END), 0) AS purchases_per_view
FROM silver.clickstream_events
GROUP BY CAST(event_time AS DATE)
ORDER BY `day`;

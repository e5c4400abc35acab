-- Conversion by brand (silver events; products without a brand grouped as '(none)').
SELECT
  COALESCE(brand, '(none)') AS brand,
  SUM(CASE WHEN event_type = 'view' THEN 1 ELSE 0 END) AS `views`,
  SUM(CASE WHEN event_type = 'cart' THEN 1 ELSE 0 END) AS carts,
  SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases,
  CAST(SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS DOUBLE)
    / NULLIF(SUM(CASE WHEN event_type = 'view' THEN 1 ELSE 0 END), 0) AS purchases_per_view
FROM silver.clickstream_events
GROUP BY COALESCE(brand, '(none)')
HAVING SUM(CASE WHEN event_type = 'view' THEN 1 ELSE 0 END) >= 20
ORDER BY purchases DESC, `views` DESC, brand
LIMIT 20;

-- Top converting products (current state in gold.product_metrics), among products with 10+ views.
SELECT product_id, `views`, carts, purchases, purchases_to_views, purchases_to_carts, last_event_time
FROM gold.product_metrics
WHERE `views` >= 10 AND purchases > 0
ORDER BY purchases_to_views DESC, purchases DESC, product_id
LIMIT 20;

-- A cart's feature history: the point-in-time features and labels of every training row of the
-- busiest cart that bought something (edit the WHERE clause to pick your own user_id/user_session).
WITH busiest AS (
  SELECT user_id, user_session
  FROM gold.training_features
  GROUP BY user_id, user_session
  HAVING MAX(label) = 1
  ORDER BY COUNT(*) DESC, user_id, user_session
  LIMIT 1
)
SELECT t.event_time, t.event_type, t.product_id,
       t.cart__events, t.cart__views, t.cart__carts, t.cart_product__events, t.cart_product__carts,
       t.user__events, t.user__purchases_to_views, t.product__purchases_to_views,
       t.label, t.split
FROM gold.training_features AS t
JOIN busiest AS b ON t.user_id = b.user_id AND t.user_session = b.user_session
ORDER BY t.event_time, t.cart__events;

DROP TABLE change_feed_trimmed;

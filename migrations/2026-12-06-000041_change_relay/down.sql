DROP TABLE change_relay;

DROP TABLE cases;
DROP TABLE measurements;
DROP TABLE children;
DROP TABLE app_secrets;

-- The digits rounded away are gone; the rounded scores stay valid for the earlier code.
SELECT 1;

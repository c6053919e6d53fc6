DROP TABLE budget_revisions;
DROP TABLE budget_spending;
DROP TABLE budget_lines;
DROP TABLE budgets;

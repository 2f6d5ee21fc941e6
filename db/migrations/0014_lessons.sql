-- 0014: reserved for the lesson helper (issue 13): lesson progress, predictions,
-- answers and the terminal log.
SELECT 1;

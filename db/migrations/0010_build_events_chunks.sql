-- Reserved for issue 12 (hardening); filled by the change that needs it.
SELECT 1;

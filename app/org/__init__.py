"""The Party organisation: the branch tree (党委 → 党总支 → 党支部) and coordinator scope."""

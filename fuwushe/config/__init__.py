"""Settings the management center changes without a deploy (系统设置)."""

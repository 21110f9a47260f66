# E820 identity/remap planner on sanitized maps (pure logic, no hypervisor model).
test_e820_plan_SRCS := mm/e820.c mm/e820_plan.c tests/unit/e820_check.c

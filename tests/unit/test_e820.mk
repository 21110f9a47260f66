# E820 sanitizer, and a random property over sanitizer + planner (pure
# logic, no hypervisor model).
test_e820_SRCS := mm/e820.c mm/e820_plan.c tests/unit/e820_check.c

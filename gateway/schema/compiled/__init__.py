"""Compiled operations: each cached (document, operation) planned once (plan.py) and run
by graphql-core's executor without its per-field lookups (executor.py); what a plan does
not cover is executed by graphql-core as before. GATEWAY_COMPILED_OPERATIONS=false turns
it off."""

from gateway.schema.compiled.executor import CompiledExecutor, Plans, executor_class
from gateway.schema.compiled.plan import Plan, compile_operation

__all__ = ["CompiledExecutor", "Plan", "Plans", "compile_operation", "executor_class"]

"""The errors a user must act on.

Everything the user can fix is an `AdvisorError`; the CLI prints its message on one line and exits
with its `exit_code`. Any other exception is a bug and keeps its traceback.

    AdvisorError                 exit 2: bad input or usage, found before anything is spent
    ├── InputError               a study, eval set, template, price or option is wrong
    ├── UnknownModelError        a model has no price in the catalog and none was given
    ├── FixtureMissError         replay met a request that was never recorded
    ├── RefusedError             every endpoint refused (or could not be reached): nothing billed
    └── RunError                 exit 1: the run itself failed (spend cap, unwritable output)
"""


class AdvisorError(Exception):
    """A problem the user can fix; the message says what and where."""

    exit_code = 2


class InputError(AdvisorError):
    """A study, eval set, template, price or command-line value is invalid."""


class UnknownModelError(AdvisorError):
    """A model has no price in the catalog and the user gave none."""


class FixtureMissError(AdvisorError):
    """A replayed request has no recording."""


class RefusedError(AdvisorError):
    """No request was answered: a key, model or parameter refused, or no endpoint reachable."""


class RunError(AdvisorError):
    """The run stopped for a reason the user must act on."""

    exit_code = 1

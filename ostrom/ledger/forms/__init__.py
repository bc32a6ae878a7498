"""Forms for the ledger's pages. They check the shape of what people type and turn amounts into whole
smallest units; the rules themselves live in actions, whose errors ``add_domain_error`` shows by the field.

One module per group of pages; the fields they share (amount, memo) are in ``fields``."""

from ostrom.communities.forms import add_domain_error

from .accounts import AccountStatusForm, CurrencyForm, LimitsForm
from .coordination import CoordinatorForm, ImportForm, IssueForm, LevyForm, OnBehalfBulkForm
from .fields import amount_for_input
from .links import AcceptLinkForm, PayAcrossForm, ProposeLinkForm
from .payments import OnBehalfForm, PaymentFields, ReasonForm, SendForm
from .requests import DeclineForm, HandlingForm, RequestForm, TrustForm
from .statements import AccountSearchForm, PeriodForm, StatementFilterForm, ZipForm

__all__ = [
    "AcceptLinkForm",
    "AccountSearchForm",
    "AccountStatusForm",
    "CoordinatorForm",
    "CurrencyForm",
    "DeclineForm",
    "HandlingForm",
    "ImportForm",
    "IssueForm",
    "LevyForm",
    "LimitsForm",
    "OnBehalfBulkForm",
    "OnBehalfForm",
    "PayAcrossForm",
    "PaymentFields",
    "PeriodForm",
    "ProposeLinkForm",
    "ReasonForm",
    "RequestForm",
    "SendForm",
    "StatementFilterForm",
    "TrustForm",
    "ZipForm",
    "add_domain_error",
    "amount_for_input",
]

"""Addresses SMS providers call back on: the generic gateway (HMAC-signed) and GOV.UK Notify (bearer token)."""

from django.urls import path

from . import webhooks

urlpatterns = [
    path("webhooks/sms/inbound/", webhooks.gateway_inbound, name="webhook_sms_inbound"),
    path("webhooks/sms/status/", webhooks.gateway_status, name="webhook_sms_status"),
    path("webhooks/notify/inbound/", webhooks.notify_inbound, name="webhook_notify_inbound"),
    path("webhooks/notify/status/", webhooks.notify_status, name="webhook_notify_status"),
]

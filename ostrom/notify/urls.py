"""Addresses SMS providers call back on: the generic gateway (HMAC-signed) and GOV.UK Notify (bearer token); and
notify's pages under the community: a member's settings, and the coordinator's message log beside their other
tools under manage/."""

from django.urls import path

from . import views, webhooks

community = "c/<slug:slug>/"

urlpatterns = [
    path("webhooks/sms/inbound/", webhooks.gateway_inbound, name="webhook_sms_inbound"),
    path("webhooks/sms/status/", webhooks.gateway_status, name="webhook_sms_status"),
    path("webhooks/notify/inbound/", webhooks.notify_inbound, name="webhook_notify_inbound"),
    path("webhooks/notify/status/", webhooks.notify_status, name="webhook_notify_status"),
    path(community + "settings/notifications/", views.notification_settings, name="notify_settings"),
    path(community + "settings/notifications/texts/", views.texts, name="notify_texts"),
    path(community + "settings/phone/", views.phone, name="notify_phone"),
    path(community + "settings/phone/code/", views.phone_code, name="notify_phone_code"),
    path(community + "manage/messages/", views.message_log, name="notify_message_log"),
    path(community + "manage/messages/<int:pk>/retry/", views.message_retry, name="notify_message_retry"),
]

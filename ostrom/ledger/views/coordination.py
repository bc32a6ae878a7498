"""Ledger pages: coordination. Thin: load through ledger.access, change through ledger.actions, render."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""The only place the marketplace changes state, one module a part (listings, exchanges, volunteering, events,
moderation). Views, the API, SMS commands and tasks all call these."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import LoginForm

community = "c/<slug:slug>/"

urlpatterns = [
    path(
        "login/",
        views.LoginView.as_view(authentication_form=LoginForm, template_name="communities/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(
            template_name="communities/password_reset.html", email_template_name="communities/password_reset_email.txt"
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="communities/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(template_name="communities/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="communities/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path(
        "account/password/",
        views.PasswordChangeView.as_view(template_name="communities/password_change.html"),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="communities/password_change_done.html"),
        name="password_change_done",
    ),
    path("account/", views.account, name="account"),
    path("account/data.json", views.account_data, name="account_data"),
    path("account/erase/", views.account_erase, name="account_erase"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("communities/", views.community_list, name="community_list"),
    path(community, views.community_home, name="community_home"),
    path(community + "join/", views.join, name="join"),
    path(community + "invitations/<str:token>/", views.join, name="invitation"),
    path(community + "members/", views.directory, name="directory"),
    path(community + "members/<int:pk>/", views.member_detail, name="member_detail"),
    path(community + "profile/", views.profile_edit, name="profile_edit"),
    path(community + "leave/", views.leave, name="leave"),
    path(community + "organisations/", views.organisation_list, name="organisation_list"),
    path(community + "organisations/new/", views.organisation_create, name="organisation_create"),
    path(community + "organisations/<slug:org>/", views.organisation_detail, name="organisation_detail"),
    path(community + "organisations/<slug:org>/edit/", views.organisation_edit, name="organisation_edit"),
    path(community + "manage/members/", views.manage_members, name="manage_members"),
    path(community + "manage/members/<int:pk>/", views.manage_member, name="manage_member"),
    path(community + "manage/members/<int:pk>/profile/", views.manage_member_profile, name="manage_member_profile"),
    path(community + "manage/invitations/", views.manage_invitations, name="manage_invitations"),
    path(community + "manage/invitations/<int:pk>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path(community + "manage/assisted-sign-up/", views.assisted_sign_up, name="assisted_sign_up"),
    path(community + "manage/audit/", views.audit_log, name="audit_log"),
]

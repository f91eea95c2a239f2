from django.urls import path

from . import views

urlpatterns = [
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:staff_id>/", views.staff_change, name="staff_change"),
]

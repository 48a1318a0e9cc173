"""Settings > Services: service categories, services with their IDs (the upload
file's Service ID), adding, editing, deactivating, and a list from Excel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bookings import catalog
from bookings.admin import settings
from bookings.model import User
from bookings.store import Connection
from ui import settings_forms as forms
from ui import settings_services_upload

SELECTED_SERVICE = "settings_service"


def render(con: Connection, actor: User) -> None:
    forms.show_messages()
    categories = {c["id"]: c["title"] for c in catalog.service_categories(con)}
    services = catalog.services(con)
    services_table(services, categories)
    services_column, categories_column = st.columns([3, 2], gap="large")
    with services_column:
        add_service_form(con, actor, categories)
        if services:
            edit_service(con, actor, services, categories)
    with categories_column:
        categories_section(con, actor, categories)
    st.divider()
    settings_services_upload.render(con, actor)


def services_table(services: list[dict], categories: dict[int, str]) -> None:
    table = pd.DataFrame([{**s, "category": categories.get(s["category_id"], ""),
                           "duration_min": s["duration_s"] // 60} for s in services],
                         columns=["id", "title", "category", "price", "duration_min", "active"])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "id": st.column_config.NumberColumn("Service ID", format="%d"), "title": "Title",
        "category": "Category", "price": st.column_config.NumberColumn("Price", format="%.2f"),
        "duration_min": st.column_config.NumberColumn("Minutes"),
        "active": st.column_config.CheckboxColumn("Active")})
    st.caption("The Service ID is what the bookings upload file's Service ID column takes.")


def _service_fields(categories: dict[int, str], service: dict | None = None) -> tuple:
    """Title, category, price and duration inputs, filled from SERVICE when given."""
    service = service or {}
    title = st.text_input("Title", value=service.get("title", ""))
    ids = list(categories)
    category = st.selectbox("Category", ids, format_func=categories.get,
                            index=ids.index(service["category_id"]) if service else 0)
    price_column, duration_column = st.columns(2)
    price = price_column.number_input("Price", min_value=0.0, step=1.0, format="%.2f",
                                      value=float(service.get("price", 0)))
    duration = duration_column.number_input(
        "Duration (minutes)", min_value=settings.DURATION_STEP_MIN,
        max_value=settings.DURATION_MAX_MIN, step=settings.DURATION_STEP_MIN,
        value=service.get("duration_s", 3600) // 60,
        help=f"A multiple of {settings.DURATION_STEP_MIN} minutes")
    return title, category, f"{price:.2f}", duration


def add_service_form(con: Connection, actor: User, categories: dict[int, str]) -> None:
    st.markdown("**Add a service**")
    if not categories:
        st.info("Add a service category first, or upload a list of services: its categories "
                "are created with it.")
        return
    with st.form(forms.key("add-service")):
        title, category, price, duration = _service_fields(categories)
        submitted = st.form_submit_button("Add service", type="primary")
    if submitted:
        added = forms.attempt(settings.add_service, con, actor, title, category, price, duration)
        if added:
            st.session_state[SELECTED_SERVICE] = added["id"]
            forms.finish("add-service", f"Service {added['title']} added with ID {added['id']}.")


def edit_service(con: Connection, actor: User, services: list[dict],
                 categories: dict[int, str]) -> None:
    st.markdown("**Change a service**")
    by_id = {s["id"]: s for s in services}
    chosen = forms.choose("Service", list(by_id), lambda i: f"{i} · {by_id[i]['title']}" + (
        "" if by_id[i]["active"] else " (deactivated)"), SELECTED_SERVICE)
    service = by_id[chosen]
    with st.form(forms.key(f"service-{chosen}")):
        title, category, price, duration = _service_fields(categories, service)
        submitted = st.form_submit_button("Save")
    if submitted and forms.attempt(settings.update_service, con, actor, chosen, title=title,
                                   category_id=category, price=price, duration_min=duration):
        forms.finish(f"service-{chosen}", f"Service {chosen} saved.")
    label = "Deactivate" if service["active"] else "Reactivate"
    if st.button(f"{label} {service['title']}", key=forms.key(f"service-active-{chosen}"),
                 help="A deactivated service stays on the bookings that have it"):
        if forms.attempt(settings.set_service_active, con, actor, chosen, not service["active"]):
            forms.finish(f"service-active-{chosen}", f"{service['title']} {label.lower()}d.")


def categories_section(con: Connection, actor: User, categories: dict[int, str]) -> None:
    st.markdown("**Service categories**")
    st.dataframe(pd.DataFrame({"id": list(categories), "title": list(categories.values())}),
                 hide_index=True, width="stretch", column_config={
                     "id": st.column_config.NumberColumn("ID", format="%d"), "title": "Title"})
    with st.form(forms.key("add-service-category")):
        title = st.text_input("New category")
        submitted = st.form_submit_button("Add category")
    if submitted:
        added = forms.attempt(settings.add_service_category, con, actor, title)
        if added:
            forms.finish("add-service-category", f"Category {added['title']} added.")
    if not categories:
        return
    with st.form(forms.key("rename-service-category")):
        category = st.selectbox("Category to rename", list(categories),
                                format_func=categories.get)
        title = st.text_input("New title")
        submitted = st.form_submit_button("Rename")
    if submitted and forms.attempt(settings.rename_service_category, con, actor, category,
                                   title):
        forms.finish("rename-service-category", f"Category {category} renamed to {title}.")

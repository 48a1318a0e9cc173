"""Settings: users and their rights, and the catalogue (read-only for now)."""

import pandas as pd
import streamlit as st

from bookings import auth, catalog
from bookings.model import Right
from pages import common

common.require(Right.MANAGE_SETTINGS)
con = common.cursor()

st.title("Settings")
users_tab, staff_tab, services_tab, categories_tab = st.tabs(
    ["Users and rights", "Staff", "Services", "Booking categories"]
)
with users_tab:
    users = pd.DataFrame([u.as_json() for u in auth.list_users(con)])
    users["viewing_period_days"] = users["viewing_period_days"].astype("Int64")
    st.dataframe(
        users, hide_index=True, width="stretch",
        column_config={
            "rights": st.column_config.ListColumn("Rights"),
            "viewing_period_days": st.column_config.NumberColumn(
                "Viewing period (days)", help="Empty: unlimited"),
        },
    )
with staff_tab:
    st.dataframe(pd.DataFrame(catalog.staff(con)), hide_index=True, width="stretch",
                 column_config={"id": st.column_config.NumberColumn("Employee ID")})
with services_tab:
    categories = {c["id"]: c["title"] for c in catalog.service_categories(con)}
    services = pd.DataFrame(catalog.services(con))
    if not services.empty:
        services["category"] = services["category_id"].map(categories)
        services["duration_min"] = services["duration_s"] // 60
        services = services[["id", "title", "category", "price", "duration_min", "active"]]
    st.dataframe(services, hide_index=True, width="stretch",
                 column_config={"id": st.column_config.NumberColumn("Service ID"),
                                "price": st.column_config.NumberColumn("Price", format="%.2f"),
                                "duration_min": st.column_config.NumberColumn("Minutes")})
with categories_tab:
    st.dataframe(pd.DataFrame(catalog.booking_categories(con)), hide_index=True, width="stretch")
    st.caption(f"Booking interval: {catalog.catalog(con)['booking_interval_min']} minutes")

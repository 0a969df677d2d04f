"""Bonus campaigns in the back office: what runs, what it gave, and starting a new one."""
from flask import flash, redirect, render_template, url_for

from giftshop.admin.blueprint import acting_owner, bp
from giftshop.admin.forms import CampaignForm
from giftshop.errors import ValidationFailed
from giftshop.promotions import campaigns as service
from giftshop.localtime import today_local


@bp.route("/campaigns", methods=["GET", "POST"])
def campaigns():
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = service.create_campaign(form.to_data(), staff=acting_owner(),
                                               today=today_local())
        except ValidationFailed as exc:
            form.apply_errors(exc.errors)
        else:
            flash(f"Campaign “{campaign.name}” saved.", "info")
            return redirect(url_for("admin.campaigns"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/campaigns.html", form=form, report=service.campaign_report(),
                           today=today_local()), status

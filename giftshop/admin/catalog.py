"""Catalog pages: list, create, edit, reorder, put on sale / take off sale."""
from flask import abort, flash, redirect, render_template, url_for

from giftshop.admin import catalog_service as service
from giftshop.admin.blueprint import acting_owner, bp
from giftshop.admin.forms import ButtonForm, ProductForm
from giftshop.errors import ValidationFailed
from giftshop.vouchers.designs import design_states, set_design_offered


@bp.get("/catalog")
def catalog():
    return render_template("admin/catalog.html", products=service.all_products(),
                           designs=design_states(), button=ButtonForm())


@bp.route("/catalog/new", methods=["GET", "POST"])
def new_product():
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = service.create_product(form.to_data(), staff=acting_owner())
        except ValidationFailed as exc:
            form.apply_errors(exc.errors)
        else:
            flash(f"“{product.name}” added to the catalog.", "info")
            return redirect(url_for("admin.catalog"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/product_form.html", form=form, product=None), status


@bp.route("/catalog/<int:product_id>", methods=["GET", "POST"])
def edit_product(product_id: int):
    product = service.get_product(product_id)
    form = ProductForm()
    if not form.is_submitted():
        form.load(product)
    elif form.validate_on_submit():
        try:
            service.update_product(product.id, form.to_data(), staff=acting_owner())
        except ValidationFailed as exc:
            form.apply_errors(exc.errors)
        else:
            flash(f"“{product.name}” saved. New orders use the new details; "
                  "orders already placed keep theirs.", "info")
            return redirect(url_for("admin.catalog"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/product_form.html", form=form, product=product,
                           earlier_slugs=service.earlier_slugs(product.id)), status


@bp.post("/catalog/<int:product_id>/move/<direction>")
def move_product(product_id: int, direction: str):
    if ButtonForm().validate_on_submit():
        offset = {"up": -1, "down": 1}.get(direction)
        if offset is None:
            raise ValidationFailed({"direction": "Move up or down."})
        service.move_product(product_id, offset, staff=acting_owner())
    return redirect(url_for("admin.catalog"), code=303)


@bp.post("/catalog/<int:product_id>/<action>")
def toggle_product(product_id: int, action: str):
    if action not in ("activate", "deactivate"):
        abort(404)
    if ButtonForm().validate_on_submit():
        product = service.set_active(product_id, action == "activate", staff=acting_owner())
        flash(f"“{product.name}” is {'on sale' if product.active else 'off sale'}.", "info")
    return redirect(url_for("admin.catalog"), code=303)


@bp.post("/catalog/designs/<slug>/<action>")
def toggle_design(slug: str, action: str):
    if action not in ("offer", "withdraw"):
        abort(404)
    if ButtonForm().validate_on_submit():
        design = set_design_offered(slug, action == "offer", staff=acting_owner())
        flash(f"The {design.label} design is {'offered' if action == 'offer' else 'withdrawn'}.",
              "info")
    return redirect(url_for("admin.catalog"), code=303)
